using InSitu.Common;
using InSitu.Torch;

namespace InSitu.Data;

/// <summary>
/// Batches from images already in memory (N x C x H x W) with one class label each, shuffled per epoch by
/// (seed, epoch). For data made in code (benchmarks, tests); files go through <see cref="ImageBatchLoader"/>.
/// </summary>
public sealed class TensorBatchSource : IBatchSource<ImageBatch>
{
    private readonly Tensor _images;
    private readonly Tensor _labels;
    private readonly int _batchSize;
    private readonly bool _shuffle;
    private readonly int _seed;

    public TensorBatchSource(Tensor images, Tensor labels, int batchSize, bool shuffle = true, int seed = 1)
    {
        if (images.Size(0) != labels.Size(0)) throw new ArgumentException($"{images.Size(0)} images but {labels.Size(0)} labels");
        if (batchSize < 1) throw new ArgumentException("batch size must be at least 1");
        (_images, _labels, _batchSize, _shuffle, _seed) = (images, labels, batchSize, shuffle, seed);
    }

    public int Count => (int)_images.Size(0);

    public int BatchesPerEpoch => (Count + _batchSize - 1) / _batchSize;

    public IEnumerable<ImageBatch> Epoch(int epoch, CancellationToken cancel = default)
    {
        var order = Enumerable.Range(0, Count).ToArray();
        if (_shuffle)
        {
            var r = new SeededRandom(((ulong)(uint)_seed << 32) ^ (uint)epoch);
            for (int i = order.Length - 1; i > 0; i--)
            {
                int j = r.Int(i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }
        }
        for (int start = 0; start < order.Length && !cancel.IsCancellationRequested; start += _batchSize)
        {
            var rows = order.Skip(start).Take(_batchSize).ToArray();
            using var index = Tensor.FromArray(rows.Select(i => (long)i).ToArray(), rows.Length);
            yield return new ImageBatch(_images.IndexSelect(0, index).DetachFromScope(),
                _labels.IndexSelect(0, index).DetachFromScope(), rows);
        }
    }
}
