using InSitu.Common;
using InSitu.Torch;

namespace InSitu.Data;

/// <summary>How images become model input.</summary>
public sealed record LoaderOptions
{
    public int Height { get; init; } = 128;
    public int Width { get; init; } = 320;
    /// <summary>One grey channel (as in the paper) or RGB.</summary>
    public bool Gray { get; init; } = true;
    /// <summary>Per-channel mean and standard deviation subtracted and divided after scaling to [0, 1].</summary>
    public float[] Mean { get; init; } = { 0.5f };
    public float[] Std { get; init; } = { 0.25f };
    public AugmentOptions Augment { get; init; } = AugmentOptions.None;
    public int BatchSize { get; init; } = 16;
    public bool Shuffle { get; init; }
    public bool DropLast { get; init; }
    public int Seed { get; init; } = 1;
    /// <summary>
    /// When set, an image whose width/height ratio differs from the model's by more than this share is refused
    /// rather than squashed (a raw photo fed to a model of standardised images).
    /// </summary>
    public float? MaxAspectChange { get; init; }
    /// <summary>Batches being prepared at once: each is one worker, and at most this many batches are held in memory.</summary>
    public int Prefetch { get; init; } = Math.Max(2, Environment.ProcessorCount);

    public int Channels => Gray ? 1 : 3;
}

/// <summary>
/// A batch: images N x C x H x W (float32, normalised), class labels (int64, N) and/or multi-label targets
/// (float32 multi-hot, N x T), and which manifest rows they came from.
/// </summary>
public sealed class ImageBatch : IDisposable
{
    public ImageBatch(Tensor images, Tensor? labels, int[] rows, Tensor? targets = null)
    {
        Images = images;
        Labels = labels;
        Rows = rows;
        Targets = targets;
    }

    public Tensor Images { get; }
    public Tensor? Labels { get; }
    public int[] Rows { get; }
    public Tensor? Targets { get; }

    public void Dispose()
    {
        Images.Dispose();
        Labels?.Dispose();
        Targets?.Dispose();
    }
}

/// <summary>
/// Streams a manifest as batches: decode (OpenCV), resize to the model's size, grey or RGB, augment, normalise,
/// batch. Batches are prepared in parallel ahead of the consumer, at most <see cref="LoaderOptions.Prefetch"/> at a
/// time, so memory stays bounded however large the dataset. Every image's augmentation draws from its own random
/// stream keyed by (seed, epoch, position), so an epoch is the same whatever the number of workers.
/// </summary>
public sealed class ImageBatchLoader : IBatchSource<ImageBatch>
{
    private readonly Manifest _manifest;
    private readonly IReadOnlyList<int> _rows;
    private readonly Func<ManifestRow, long>? _label;
    private readonly Func<ManifestRow, float[]>? _targets;
    private readonly int _targetCount;
    private readonly ImagePipeline _pipeline;

    /// <param name="cache">Decoded images kept across epochs (and loaders); null decodes every time.</param>
    /// <param name="targets">
    /// Multi-label targets of a row, the same length for every row (e.g. <see cref="TermVocabulary.MultiHot"/>);
    /// checked for every row here, so a bad row fails before training starts.
    /// </param>
    public ImageBatchLoader(Manifest manifest, LoaderOptions options, Func<ManifestRow, long>? label = null,
        IReadOnlyList<int>? rows = null, DecodedImageCache? cache = null, Func<ManifestRow, float[]>? targets = null)
    {
        _pipeline = new ImagePipeline(options, cache);
        _manifest = manifest;
        Options = options;
        _label = label;
        _rows = rows ?? Enumerable.Range(0, manifest.Rows.Count).ToList();
        if (_rows.Count == 0) throw new ArgumentException("the loader has no images (empty manifest or selection)");
        _targets = targets;
        if (targets is not null) _targetCount = TargetLength(manifest, _rows, targets);
    }

    public LoaderOptions Options { get; }

    /// <summary>
    /// When set, a row whose image cannot be prepared (missing, unreadable, corrupt, wrong shape) is dropped from
    /// its batch and reported here (row index, error; called from the loader's workers) instead of failing the
    /// whole batch: for commands that must use every good image of a batch (prediction). Batches may then hold
    /// fewer rows, or none.
    /// </summary>
    public Action<int, Exception>? BadImage { get; init; }
    public int Count => _rows.Count;
    public int BatchesPerEpoch => Prefetcher.BatchCount(_rows.Count, Options.BatchSize, Options.DropLast);

    /// <summary>The manifest rows of one epoch in the order they will be served.</summary>
    public int[] Order(int epoch)
    {
        var order = _rows.ToArray();
        if (Options.Shuffle) EpochRandom.Shuffle(order, new SeededRandom(EpochRandom.Key(Options.Seed, epoch, -1)));
        return order;
    }

    /// <summary>The batches of one epoch, prepared ahead in parallel. Dispose each batch when done with it.</summary>
    public IEnumerable<ImageBatch> Epoch(int epoch, CancellationToken cancel = default) =>
        Prefetcher.Run(Prefetcher.Slices(Order(epoch), Options.BatchSize, BatchesPerEpoch), Options.Prefetch,
            slice => MakeBatch(slice.Items, epoch, slice.FirstPosition), cancel);

    private ImageBatch MakeBatch(IReadOnlyList<int> rows, int epoch, int firstPosition)
    {
        int plane = _pipeline.Plane;
        var data = new float[rows.Count * plane];
        var labels = _label is null ? null : new long[rows.Count];
        var targets = _targets is null ? null : new float[rows.Count * _targetCount];
        var kept = new List<int>(rows.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            var row = _manifest.Rows[rows[i]];
            int n = kept.Count; // the slot of this row: bad rows before it left no gap
            try
            {
                _pipeline.Prepare(_manifest.FullPath(row), epoch, firstPosition + i, data, n * plane);
            }
            catch (Exception e) when (BadImage is not null &&
                e is TorchException or IOException or UnauthorizedAccessException or InvalidDataException)
            {
                BadImage(rows[i], e);
                continue;
            }
            catch (Exception e) when (_manifest.Where(rows[i]) is { } where &&
                e is TorchException or IOException or UnauthorizedAccessException or InvalidDataException)
            {
                // the image's own message names the file; the manifest line says which entry to fix
                throw new InvalidDataException($"{where}: {e.Message}", e);
            }
            if (labels is not null) labels[n] = _label!(row);
            if (targets is not null) _targets!(row).CopyTo(targets, n * _targetCount);
            kept.Add(rows[i]);
        }
        int count = kept.Count;
        if (count < rows.Count)
        {
            Array.Resize(ref data, count * plane);
            if (labels is not null) Array.Resize(ref labels, count);
            if (targets is not null) Array.Resize(ref targets, count * _targetCount);
        }
        var images = Tensor.FromArray(data, count, Options.Channels, Options.Height, Options.Width);
        return new ImageBatch(images, labels is null ? null : Tensor.FromArray(labels, count), kept.ToArray(),
            targets is null ? null : Tensor.FromArray(targets, count, _targetCount));
    }

    /// <summary>One image as CxHxW floats in [0, 1] at the loader's size (resized if the file's size differs).</summary>
    public float[] LoadImage(string path) => _pipeline.Load(path);

    /// <summary>The targets' common length; a row whose targets differ in length is named.</summary>
    internal static int TargetLength(Manifest manifest, IReadOnlyList<int> rows, Func<ManifestRow, float[]> targets) =>
        CommonLength(rows.Select(r => ($"manifest row '{manifest.Rows[r].Path}'", targets(manifest.Rows[r]).Length)), "rows");

    /// <summary>
    /// The one length every item's multi-label target has; the first item that differs is named (<paramref name="what"/>
    /// says what the items are, e.g. "rows" or "bags").
    /// </summary>
    internal static int CommonLength(IEnumerable<(string name, int length)> items, string what)
    {
        int length = -1;
        foreach (var (name, n) in items)
        {
            if (length < 0) length = n;
            else if (n != length) throw new InvalidDataException($"{name} has {n} targets but the {what} before it have {length}");
        }
        if (length == 0) throw new ArgumentException("multi-label targets need at least one target");
        return length;
    }
}
