using InSitu.Common;
using InSitu.Data;
using InSitu.Torch;

namespace InSitu.Workflows.Bags;

/// <summary>B bags of CNN features, packed, with their targets and stage masks (B x T each).</summary>
public sealed class FeatureBagBatch(PackedBags bags, Tensor targets, Tensor masks, string[] ids) : IDisposable
{
    public PackedBags Bags { get; } = bags;
    public Tensor Targets { get; } = targets;
    public Tensor Masks { get; } = masks;
    public string[] Ids { get; } = ids;

    public void Dispose()
    {
        Bags.Features.Dispose();
        Targets.Dispose();
        Masks.Dispose();
    }
}

/// <summary>
/// One bag's CNN features (n x D, row-major) in one or more views (epoch e shows view e mod the count), target and mask: an
/// item of the bag model's training set.
/// </summary>
public sealed record FeatureBag(string Id, IReadOnlyList<float[]> Views, float[] Target, float[] Mask);

/// <summary>
/// The bag model's training set, held in memory (a bag's features are small next to its images): B bags per batch, in an
/// order and with their images in an order both drawn from (seed, epoch). A bag's images have no natural order, so each
/// epoch shows the BiLSTM another one.
/// </summary>
public sealed class FeatureBagSource : IBatchSource<FeatureBagBatch>
{
    private readonly IReadOnlyList<FeatureBag> _bags;
    private readonly int _width, _batchSize, _seed;
    private readonly bool _shuffle;

    public FeatureBagSource(IReadOnlyList<FeatureBag> bags, int width, int batchSize, int seed, bool shuffle)
    {
        ArgumentNullException.ThrowIfNull(bags);
        if (bags.Count == 0) throw new ArgumentException("the bag model has no training bags");
        if (batchSize < 1) throw new ArgumentException("batch size must be at least 1");
        (_bags, _width, _batchSize, _seed, _shuffle) = (bags, width, batchSize, seed, shuffle);
    }

    public int Count => _bags.Count;

    public int BatchesPerEpoch => (_bags.Count + _batchSize - 1) / _batchSize;

    public IEnumerable<FeatureBagBatch> Epoch(int epoch, CancellationToken cancel = default)
    {
        var order = Enumerable.Range(0, _bags.Count).ToArray();
        if (_shuffle) EpochRandom.Shuffle(order, new SeededRandom(EpochRandom.Key(_seed, epoch, -1)));
        for (int start = 0; start < order.Length; start += _batchSize)
        {
            cancel.ThrowIfCancellationRequested();
            var picked = order.Skip(start).Take(_batchSize).Select(i => _bags[i]).ToList();
            var features = picked.Select((b, i) => View(b, epoch, order[start + i])).ToList();
            int t = picked[0].Target.Length;
            yield return new FeatureBagBatch(PackedBags.Of(features, _width),
                Tensor.FromArray(picked.SelectMany(b => b.Target).ToArray(), picked.Count, t),
                Tensor.FromArray(picked.SelectMany(b => b.Mask).ToArray(), picked.Count, t), picked.Select(b => b.Id).ToArray());
        }
    }

    private float[] View(FeatureBag bag, int epoch, int index)
    {
        var features = bag.Views[epoch % bag.Views.Count];
        return _shuffle ? Reordered(features, epoch, index) : features;
    }

    private float[] Reordered(float[] features, int epoch, int index)
    {
        int n = features.Length / _width;
        if (n < 2) return features;
        var rows = Enumerable.Range(0, n).ToArray();
        EpochRandom.Shuffle(rows, new SeededRandom(EpochRandom.Key(_seed, epoch, index, EpochRandom.Purpose.BagInstances)));
        var result = new float[features.Length];
        for (int i = 0; i < n; i++) Array.Copy(features, rows[i] * _width, result, i * _width, _width);
        return result;
    }
}
