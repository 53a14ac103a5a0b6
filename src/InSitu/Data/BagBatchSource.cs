using InSitu.Common;
using InSitu.Torch;

namespace InSitu.Data;

/// <summary>
/// Streams a manifest's bags (rows sharing <see cref="ManifestRow.Bag"/>, e.g. the images of one gene at one stage
/// range) as packed batches of <see cref="LoaderOptions.BatchSize"/> bags. Each image goes through the same
/// pipeline as in <see cref="ImageBatchLoader"/>, its augmentation keyed by its position in the epoch's packed
/// sequence; the bag order and the instances kept of a large bag are keyed by (seed, epoch) and (seed, epoch, bag).
/// So an epoch is the same whatever the number of workers.
/// </summary>
public sealed class BagBatchSource : IBatchSource<BagBatch>
{
    private readonly Manifest _manifest;
    private readonly List<(string id, int[] rows)> _bags = new();
    private readonly Func<IReadOnlyList<ManifestRow>, float[]>? _targets;
    private readonly int _targetCount;
    private readonly int? _maxInstances;
    private readonly ImagePipeline _pipeline;

    /// <param name="targets">
    /// A bag's multi-label targets from its rows, the same length for every bag; e.g.
    /// <see cref="TermVocabulary.MultiHotUnion"/>, the union of the rows' terms. Null serves bags without targets.
    /// </param>
    /// <param name="rows">The manifest rows to use (all by default); every one must name its bag.</param>
    /// <param name="maxInstances">
    /// When set, a bag with more images serves this many of them, a different subset each epoch.
    /// </param>
    public BagBatchSource(Manifest manifest, LoaderOptions options, Func<IReadOnlyList<ManifestRow>, float[]>? targets = null,
        IReadOnlyList<int>? rows = null, DecodedImageCache? cache = null, int? maxInstances = null)
    {
        _pipeline = new ImagePipeline(options, cache);
        if (maxInstances is < 1) throw new ArgumentException("a bag needs at least 1 instance (maxInstances)");
        _manifest = manifest;
        Options = options;
        _maxInstances = maxInstances;
        // bags in the order they first appear, their rows in manifest order: the unshuffled epoch
        var index = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var r in rows ?? Enumerable.Range(0, manifest.Rows.Count).ToList())
        {
            var row = manifest.Rows[r];
            var bag = row.Bag ?? throw new InvalidDataException($"manifest row '{row.Path}' has no bag; bag sources need the bag column");
            if (!index.TryGetValue(bag, out var members))
            {
                index[bag] = members = new List<int>();
                order.Add(bag);
            }
            members.Add(r);
        }
        if (order.Count == 0) throw new ArgumentException("the bag source has no bags (empty manifest or selection)");
        foreach (var bag in order) _bags.Add((bag, index[bag].ToArray()));
        _targets = targets;
        if (targets is not null) _targetCount = TargetLength();
    }

    public LoaderOptions Options { get; }
    /// <summary>Bags per epoch.</summary>
    public int Count => _bags.Count;
    public int BatchesPerEpoch => Prefetcher.BatchCount(_bags.Count, Options.BatchSize, Options.DropLast);
    public IReadOnlyList<string> BagIds => _bags.Select(b => b.id).ToList();

    /// <summary>The bags of one epoch in serving order, each with the manifest rows it serves.</summary>
    public IReadOnlyList<(string Bag, int[] Rows)> Plan(int epoch) => Served(epoch).Select(s => (_bags[s.Bag].id, s.Rows)).ToList();

    private List<ServedBag> Served(int epoch)
    {
        var order = Enumerable.Range(0, _bags.Count).ToArray();
        if (Options.Shuffle) EpochRandom.Shuffle(order, new SeededRandom(EpochRandom.Key(Options.Seed, epoch, -1)));
        return order.Select(b => new ServedBag(b, Instances(b, epoch))).ToList();
    }

    public IEnumerable<BagBatch> Epoch(int epoch, CancellationToken cancel = default)
    {
        var plan = Served(epoch);
        int batches = BatchesPerEpoch;
        var work = new List<BagWork>(batches);
        // an image's position is its place in the epoch's packed sequence, known before any batch is made
        for (int b = 0, position = 0; b < batches; b++)
        {
            int start = b * Options.BatchSize, count = Math.Min(Options.BatchSize, plan.Count - start);
            var bags = plan.Skip(start).Take(count).ToList();
            work.Add(new BagWork(bags, position));
            position += bags.Sum(bag => bag.Rows.Length);
        }
        return Prefetcher.Run(work, Options.Prefetch, w => MakeBatch(w, epoch), cancel);
    }

    private readonly record struct ServedBag(int Bag, int[] Rows);

    private sealed record BagWork(List<ServedBag> Bags, int FirstPosition);

    private int[] Instances(int bag, int epoch)
    {
        var rows = _bags[bag].rows;
        if (_maxInstances is not { } max || rows.Length <= max) return rows;
        var picked = (int[])rows.Clone();
        var r = new SeededRandom(EpochRandom.Key(Options.Seed, epoch, bag, EpochRandom.Purpose.BagInstances));
        for (int i = 0; i < max; i++)
        {
            int j = i + r.Int(picked.Length - i);
            (picked[i], picked[j]) = (picked[j], picked[i]);
        }
        var kept = picked[..max];
        Array.Sort(kept); // manifest order, whichever were drawn
        return kept;
    }

    private BagBatch MakeBatch(BagWork work, int epoch)
    {
        int plane = _pipeline.Plane, images = work.Bags.Sum(b => b.Rows.Length), bags = work.Bags.Count;
        var data = new float[images * plane];
        var offsets = new long[bags];
        var lengths = new long[bags];
        var targets = _targets is null ? null : new float[bags * _targetCount];
        var rows = new int[images];
        int k = 0;
        for (int i = 0; i < bags; i++)
        {
            var (bag, members) = work.Bags[i];
            offsets[i] = k;
            lengths[i] = members.Length;
            foreach (var r in members)
            {
                _pipeline.Prepare(_manifest.FullPath(_manifest.Rows[r]), epoch, work.FirstPosition + k, data, k * plane);
                rows[k++] = r;
            }
            // targets come from all of a bag's rows, not only the instances served this epoch
            if (targets is not null) Target(bag).CopyTo(targets, i * _targetCount);
        }
        return new BagBatch(Tensor.FromArray(data, images, Options.Channels, Options.Height, Options.Width),
            Tensor.FromArray(offsets, bags), Tensor.FromArray(lengths, bags),
            targets is null ? null : Tensor.FromArray(targets, bags, _targetCount), work.Bags.Select(b => _bags[b.Bag].id).ToArray(), rows);
    }

    private float[] Target(int bag) => _targets!(_bags[bag].rows.Select(r => _manifest.Rows[r]).ToList());

    private int TargetLength() =>
        ImageBatchLoader.CommonLength(Enumerable.Range(0, _bags.Count).Select(b => ($"bag '{_bags[b].id}'", Target(b).Length)), "bags");
}
