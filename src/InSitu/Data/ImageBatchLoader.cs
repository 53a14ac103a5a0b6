using InSitu.Common;
using System.Threading.Channels;
using InSitu.Synthesis;
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

/// <summary>A batch: images N x C x H x W (float32, normalised), labels, and which manifest rows they came from.</summary>
public sealed class ImageBatch : IDisposable
{
    public ImageBatch(Tensor images, Tensor? labels, int[] rows)
    {
        Images = images;
        Labels = labels;
        Rows = rows;
    }

    public Tensor Images { get; }
    public Tensor? Labels { get; }
    public int[] Rows { get; }

    public void Dispose()
    {
        Images.Dispose();
        Labels?.Dispose();
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
    private readonly DecodedImageCache? _cache;

    /// <param name="cache">Decoded images kept across epochs (and loaders); null decodes every time.</param>
    public ImageBatchLoader(Manifest manifest, LoaderOptions options, Func<ManifestRow, long>? label = null, IReadOnlyList<int>? rows = null,
        DecodedImageCache? cache = null)
    {
        if (options.BatchSize < 1) throw new ArgumentException("batch size must be at least 1");
        if (options.Height < 8 || options.Width < 8) throw new ArgumentException($"image size {options.Height}x{options.Width} is too small (at least 8x8)");
        if (options.Mean.Length != options.Channels || options.Std.Length != options.Channels)
            throw new ArgumentException($"mean and std need {options.Channels} value(s) for {(options.Gray ? "grey" : "RGB")} input");
        if (options.Std.Any(s => s <= 0)) throw new ArgumentException("std values must be positive");
        _manifest = manifest;
        Options = options;
        _label = label;
        _cache = cache;
        _rows = rows ?? Enumerable.Range(0, manifest.Rows.Count).ToList();
        if (_rows.Count == 0) throw new ArgumentException("the loader has no images (empty manifest or selection)");
    }

    public LoaderOptions Options { get; }
    public int Count => _rows.Count;
    public int BatchesPerEpoch => Options.DropLast ? _rows.Count / Options.BatchSize : (_rows.Count + Options.BatchSize - 1) / Options.BatchSize;

    /// <summary>The manifest rows of one epoch in the order they will be served.</summary>
    public int[] Order(int epoch)
    {
        var order = _rows.ToArray();
        if (!Options.Shuffle) return order;
        var r = new SeededRandom(Key(Options.Seed, epoch, -1));
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = r.Int(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>The batches of one epoch, prepared ahead in parallel. Dispose each batch when done with it.</summary>
    public IEnumerable<ImageBatch> Epoch(int epoch, CancellationToken cancel = default)
    {
        var order = Order(epoch);
        int batches = BatchesPerEpoch;
        var pending = Channel.CreateBounded<Task<ImageBatch>>(new BoundedChannelOptions(Math.Max(1, Options.Prefetch)) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var producer = Task.Run(async () =>
        {
            try
            {
                for (int b = 0; b < batches && !stop.IsCancellationRequested; b++)
                {
                    int start = b * Options.BatchSize, count = Math.Min(Options.BatchSize, order.Length - start);
                    var slice = new ArraySegment<int>(order, start, count);
                    int first = start;
                    await pending.Writer.WriteAsync(Task.Run(() => MakeBatch(slice, epoch, first), CancellationToken.None), stop.Token);
                }
            }
            catch (OperationCanceledException) { }
            finally { pending.Writer.TryComplete(); }
        }, CancellationToken.None);
        try
        {
            while (pending.Reader.WaitToReadAsync(cancel).AsTask().GetAwaiter().GetResult())
                while (pending.Reader.TryRead(out var task))
                    yield return task.GetAwaiter().GetResult();
        }
        finally
        {
            // stopped early (break, error): stop the producer and release what was prepared
            stop.Cancel();
            while (pending.Reader.TryRead(out var task))
                if (task.Status == TaskStatus.RanToCompletion) task.Result.Dispose();
            try { producer.Wait(CancellationToken.None); } catch (AggregateException) { }
        }
    }

    private ImageBatch MakeBatch(IReadOnlyList<int> rows, int epoch, int firstPosition)
    {
        int c = Options.Channels, h = Options.Height, w = Options.Width, plane = c * h * w;
        var data = new float[rows.Count * plane];
        var labels = _label is null ? null : new long[rows.Count];
        for (int i = 0; i < rows.Count; i++)
        {
            var row = _manifest.Rows[rows[i]];
            var path = _manifest.FullPath(row);
            var image = _cache is null ? LoadImage(path) : _cache.GetOrDecode(path, Options, LoadImage);
            if (Options.Augment != AugmentOptions.None)
                image = Augmentation.Apply(image, c, h, w, Options.Augment, new SeededRandom(Key(Options.Seed, epoch, firstPosition + i)));
            for (int ch = 0; ch < c; ch++)
            {
                float mean = Options.Mean[ch], inv = 1 / Options.Std[ch];
                int o = i * plane + ch * h * w;
                for (int k = 0; k < h * w; k++) data[o + k] = (image[ch * h * w + k] - mean) * inv;
            }
            if (labels is not null) labels[i] = _label!(row);
        }
        var images = Tensor.FromArray(data, rows.Count, c, h, w);
        return new ImageBatch(images, labels is null ? null : Tensor.FromArray(labels, rows.Count), rows.ToArray());
    }

    /// <summary>One image as CxHxW floats in [0, 1] at the loader's size (resized if the file's size differs).</summary>
    public float[] LoadImage(string path)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var hwc = ImageIO.Read(path, Options.Gray ? ImageMode.Gray : ImageMode.Color);
        if (hwc.Dim == 2) hwc = hwc.Unsqueeze(2);
        if (hwc.DType != DType.UInt8) hwc = hwc.Cast(DType.Float32).Div(65535.0); // 16-bit
        if (hwc.Shape[0] != Options.Height || hwc.Shape[1] != Options.Width)
        {
            double aspect = (double)hwc.Shape[1] / hwc.Shape[0], target = (double)Options.Width / Options.Height;
            if (Options.MaxAspectChange is { } max && Math.Abs(aspect / target - 1) > max)
                throw new TorchException($"image '{path}' is {hwc.Shape[1]}x{hwc.Shape[0]} but the model takes {Options.Width}x{Options.Height} " +
                    "(another shape, not just another size); straighten and crop raw photos with `insitu data standardize` first");
            hwc = ImageIO.Resize(hwc.Contiguous(), Options.Height, Options.Width, interpolation: 3);
            if (hwc.Dim == 2) hwc = hwc.Unsqueeze(2);
        }
        return ImageIO.ToChw(hwc).ToFloatArray();
    }

    private static ulong Key(int seed, int epoch, int position) =>
        ((ulong)(uint)seed << 40) ^ ((ulong)(uint)epoch << 24) ^ (uint)(position + 1) * 0x9E3779B1UL;
}
