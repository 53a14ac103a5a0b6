using System.Globalization;
using System.Runtime.ExceptionServices;
using InSitu.Common;
using InSitu.Torch;

namespace InSitu.Data;

/// <summary>
/// Streams patches of image/mask pairs for segmentation. Random mode draws each patch of an epoch uniformly among
/// the dataset's allowed positions (optionally only those holding a labelled pixel) from the stream of (seed,
/// epoch, position), flips image and mask together, and may blur or add noise to the image alone; Tiles mode cuts
/// every image into sliding windows. Patches are cut at the file's own resolution (or rescaled by
/// <see cref="PatchOptions.Scale"/>), and labels are never interpolated. Every pair is read once when the source is
/// made, so a missing file, a mask of another size or an image smaller than a patch fails before training starts.
/// </summary>
public sealed class PatchBatchSource : IBatchSource<PatchBatch>
{
    private readonly IReadOnlyList<PatchPair> _pairs;
    private readonly PatchOptions _patches;
    private readonly DecodedImageCache? _cache;
    private readonly bool _hasMasks;
    private readonly bool _onlyLabelled;
    private readonly Layout[] _layouts;
    private readonly long[] _pairStarts;
    private readonly List<(int Pair, int Y, int X)> _tiles = new();

    /// <param name="options">The patch is Height x Width; augmentation may flip, blur and add noise, not rotate or shift.</param>
    /// <param name="cache">Decoded pairs kept across epochs; null decodes a pair for every patch cut from it.</param>
    public PatchBatchSource(IReadOnlyList<PatchPair> pairs, LoaderOptions options, PatchOptions patches, DecodedImageCache? cache = null)
    {
        ImagePipeline.Check(options);
        var augment = options.Augment;
        if (augment.MaxRotationDegrees != 0 || augment.CropPadding != 0)
            throw new ArgumentException("patch sources flip image and mask together but cannot rotate or shift a mask; " +
                "set MaxRotationDegrees and CropPadding to 0 (random positions already shift)");
        if (patches.Mode == PatchMode.Tiles && augment != AugmentOptions.None)
            throw new ArgumentException("tiles are for inference and are not augmented; set Augment to AugmentOptions.None");
        if (patches.Joint is { } joint)
        {
            if (patches.Mode == PatchMode.Tiles && joint != JointAugmentOptions.None)
                throw new ArgumentException("tiles are for inference and are not augmented; set Joint to null");
            if (joint.Rotate90 && options.Height != options.Width)
                throw new ArgumentException($"quarter turns need square patches, not {options.Width}x{options.Height}; " +
                    "set Rotate90 to false");
        }
        if (patches.PatchesPerEpoch < 1) throw new ArgumentException("an epoch needs at least 1 patch (PatchesPerEpoch)");
        if (!(patches.Scale > 0) || float.IsInfinity(patches.Scale)) throw new ArgumentException($"scale {patches.Scale} must be positive");
        if (patches.TileOverlap < 0 || patches.TileOverlap >= Math.Min(options.Height, options.Width))
            throw new ArgumentException($"tile overlap {patches.TileOverlap} must lie in 0..{Math.Min(options.Height, options.Width) - 1}");
        if (pairs.Count == 0) throw new ArgumentException("the patch source has no images");
        _hasMasks = pairs[0].Mask is not null;
        foreach (var pair in pairs)
            if ((pair.Mask is not null) != _hasMasks)
                throw new ArgumentException($"image '{pair.Image}' {(_hasMasks ? "has no mask" : "has a mask")} but '{pairs[0].Image}' " +
                    $"{(_hasMasks ? "has one" : "has none")}; give every image a mask or none");
        _onlyLabelled = patches.Mode == PatchMode.Random && patches.RequireLabelled;
        if (_onlyLabelled && !_hasMasks)
            throw new ArgumentException("patches with a labelled pixel need masks; give masks or set RequireLabelled to false");
        (_pairs, Options, _patches, _cache) = (pairs, options, patches, cache);

        _layouts = Survey();
        _pairStarts = new long[pairs.Count + 1];
        for (int i = 0; i < pairs.Count; i++) _pairStarts[i + 1] = _pairStarts[i] + _layouts[i].Positions;
        if (patches.Mode == PatchMode.Random && _pairStarts[^1] == 0)
            throw new InvalidDataException($"no mask has a labelled pixel (every pixel is the ignore value {patches.IgnoreValue})");
        if (patches.Mode == PatchMode.Tiles)
            for (int i = 0; i < pairs.Count; i++)
                foreach (var y in Starts(_layouts[i].Height, options.Height))
                    foreach (var x in Starts(_layouts[i].Width, options.Width))
                        _tiles.Add((i, y, x));
    }

    public LoaderOptions Options { get; }
    public PatchOptions Patches => _patches;
    public IReadOnlyList<PatchPair> Pairs => _pairs;

    /// <summary>Patches per epoch: <see cref="PatchOptions.PatchesPerEpoch"/>, or every tile of every image.</summary>
    public int Count => _patches.Mode == PatchMode.Tiles ? _tiles.Count : _patches.PatchesPerEpoch;

    public int BatchesPerEpoch => Prefetcher.BatchCount(Count, Options.BatchSize, Options.DropLast);

    /// <summary>A pair's image size after rescaling: the canvas its tiles' <see cref="PatchBatch.Origins"/> refer to.</summary>
    public (int Height, int Width) ImageSize(int pair) => (_layouts[pair].Height, _layouts[pair].Width);

    public IEnumerable<PatchBatch> Epoch(int epoch, CancellationToken cancel = default)
    {
        var order = Enumerable.Range(0, Count).ToArray(); // random mode: positions; tiles mode: tiles
        if (_patches.Mode == PatchMode.Tiles && Options.Shuffle)
            EpochRandom.Shuffle(order, new SeededRandom(EpochRandom.Key(Options.Seed, epoch, -1)));
        return Prefetcher.Run(Prefetcher.Slices(order, Options.BatchSize, BatchesPerEpoch), Options.Prefetch,
            slice => MakeBatch(slice, epoch), cancel);
    }

    /// <summary>A pair's size and, when only labelled patches are drawn, how many allowed positions precede each row.</summary>
    private sealed record Layout(int Height, int Width, long[]? RowStarts, long Positions);

    private sealed record Decoded(float[] Image, int[]? Mask, int[]? Labelled, int Height, int Width)
    {
        public long Bytes => 4L * (Image.Length + (Mask?.Length ?? 0) + (Labelled?.Length ?? 0));
    }

    private Layout[] Survey()
    {
        var layouts = new Layout[_pairs.Count];
        var errors = new Exception?[_pairs.Count];
        Parallel.For(0, _pairs.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Options.Prefetch) }, i =>
        {
            try { layouts[i] = Measure(Get(i)); }
            catch (Exception e) { errors[i] = e; }
        });
        // the first bad pair in list order, whichever worker met it first
        if (errors.FirstOrDefault(e => e is not null) is { } error) ExceptionDispatchInfo.Capture(error).Throw();
        return layouts;
    }

    private Layout Measure(Decoded d)
    {
        int ny = d.Height - Options.Height + 1, nx = d.Width - Options.Width + 1;
        if (!_onlyLabelled) return new Layout(d.Height, d.Width, null, (long)ny * nx);
        var rowStarts = new long[ny + 1];
        for (int y = 0; y < ny; y++)
        {
            int allowed = 0;
            for (int x = 0; x < nx; x++)
                if (HasLabel(d, y, x)) allowed++;
            rowStarts[y + 1] = rowStarts[y] + allowed;
        }
        return new Layout(d.Height, d.Width, rowStarts, rowStarts[ny]);
    }

    /// <summary>Window origins along one axis: a step of the patch less the overlap, the last window ending at the edge.</summary>
    private IEnumerable<int> Starts(int length, int patch)
    {
        int step = patch - _patches.TileOverlap, last = length - patch;
        for (int s = 0; s < last; s += step) yield return s;
        yield return last;
    }

    private PatchBatch MakeBatch(Prefetcher.Slice<int> slice, int epoch)
    {
        int n = slice.Items.Count, c = Options.Channels, h = Options.Height, w = Options.Width, plane = c * h * w;
        var data = new float[n * plane];
        var masks = _hasMasks ? new long[n * h * w] : null;
        var pairs = new int[n];
        var origins = new (int Y, int X)[n];
        var patch = new float[plane];
        for (int i = 0; i < n; i++)
        {
            int pair, y0, x0;
            bool flipX = false, flipY = false;
            SeededRandom? r = null;
            Decoded d;
            if (_patches.Mode == PatchMode.Tiles)
            {
                (pair, y0, x0) = _tiles[slice.Items[i]];
                d = Get(pair);
            }
            else
            {
                r = new SeededRandom(EpochRandom.Key(Options.Seed, epoch, slice.FirstPosition + i));
                long k = EpochRandom.Long(r, _pairStarts[^1]);
                pair = UpperBound(_pairStarts, k) - 1;
                d = Get(pair);
                (y0, x0) = Locate(d, _layouts[pair], k - _pairStarts[pair]);
                flipX = Options.Augment.FlipHorizontal && r.Chance(0.5f);
                flipY = Options.Augment.FlipVertical && r.Chance(0.5f);
            }
            pairs[i] = pair;
            origins[i] = (y0, x0);
            // a flipped patch reads its source rows and columns backwards; image and mask share the mapping
            for (int py = 0; py < h; py++)
            {
                int sy = y0 + (flipY ? h - 1 - py : py);
                for (int px = 0; px < w; px++)
                {
                    int sx = x0 + (flipX ? w - 1 - px : px);
                    for (int ch = 0; ch < c; ch++)
                        patch[ch * h * w + py * w + px] = d.Image[(ch * d.Height + sy) * d.Width + sx];
                    if (masks is not null) masks[(i * h + py) * w + px] = d.Mask![sy * d.Width + sx];
                }
            }
            var image = patch;
            if (r is not null && _patches.Joint is { } joint)
                image = JointAugmentation.Apply(image, masks, i * h * w, c, h, w, joint, r);
            if (r is not null && Options.Augment != AugmentOptions.None)
                image = Augmentation.Apply(image, c, h, w, Options.Augment with { FlipHorizontal = false, FlipVertical = false }, r);
            ImagePipeline.Normalise(image, c, h * w, Options, data, i * plane);
        }
        return new PatchBatch(Tensor.FromArray(data, n, c, h, w), masks is null ? null : Tensor.FromArray(masks, n, h, w), pairs, origins);
    }

    /// <summary>The k-th allowed patch origin of a pair, row by row.</summary>
    private (int Y, int X) Locate(Decoded d, Layout layout, long k)
    {
        int nx = d.Width - Options.Width + 1;
        if (layout.RowStarts is not { } rowStarts) return ((int)(k / nx), (int)(k % nx));
        int y = UpperBound(rowStarts, k) - 1;
        long skip = k - rowStarts[y];
        for (int x = 0; x < nx; x++)
            if (HasLabel(d, y, x) && skip-- == 0) return (y, x);
        throw new InvalidOperationException($"patch position {k} lies beyond row {y}'s allowed positions");
    }

    /// <summary>The first index whose value exceeds <paramref name="k"/> in an ascending array.</summary>
    private static int UpperBound(long[] ascending, long k)
    {
        int lo = 0, hi = ascending.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (ascending[mid] <= k) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <summary>Whether the patch at (y, x) holds a labelled pixel, from the summed-area table of labelled pixels.</summary>
    private bool HasLabel(Decoded d, int y, int x)
    {
        int stride = d.Width + 1, h = Options.Height, w = Options.Width;
        var s = d.Labelled!;
        return s[(y + h) * stride + x + w] - s[y * stride + x + w] - s[(y + h) * stride + x] + s[y * stride + x] > 0;
    }

    private Decoded Get(int pair)
    {
        if (_cache is null) return Decode(pair);
        var p = _pairs[pair];
        var variant = string.Create(CultureInfo.InvariantCulture,
            $"patches {(Options.Gray ? "grey" : "RGB")} x{_patches.Scale} mask '{p.Mask}' " +
            $"ignore {(_onlyLabelled ? _patches.IgnoreValue : "-")}");
        return _cache.GetOrDecode(p.Image, variant, _ => Decode(pair), d => d.Bytes);
    }

    private Decoded Decode(int index)
    {
        var pair = _pairs[index];
        using var scope = TorchRuntime.NewDisposeScope();
        var hwc = ImagePipeline.Read(pair.Image, Options.Gray);
        int height = (int)hwc.Shape[0], width = (int)hwc.Shape[1];
        int[]? labels = null;
        if (pair.Mask is { } maskPath)
        {
            if (!File.Exists(maskPath))
                throw new FileNotFoundException($"mask '{maskPath}' (of image '{pair.Image}') does not exist", maskPath);
            var mask = ImageIO.Read(maskPath, ImageMode.Unchanged);
            if (mask.Shape[2] != 1)
                throw new InvalidDataException($"mask '{maskPath}' has {mask.Shape[2]} channels; " +
                    "a mask is a single-channel label image (a class per pixel)");
            if (mask.Shape[0] != height || mask.Shape[1] != width)
                throw new InvalidDataException(
                    $"mask '{maskPath}' is {mask.Shape[1]}x{mask.Shape[0]} but its image '{pair.Image}' is {width}x{height}");
            labels = mask.Cast(DType.Int32).ToArray<int>();
        }
        string scaled = "";
        if (_patches.Scale != 1)
        {
            int sh = Math.Max(1, (int)Math.Round(height * _patches.Scale)), sw = Math.Max(1, (int)Math.Round(width * _patches.Scale));
            hwc = ImageIO.Resize(hwc.Contiguous(), sh, sw, interpolation: 3);
            if (hwc.Dim == 2) hwc = hwc.Unsqueeze(2);
            if (labels is not null) labels = NearestLabels(labels, height, width, sh, sw);
            scaled = string.Create(CultureInfo.InvariantCulture, $" when scaled by {_patches.Scale} from {width}x{height}");
            (height, width) = (sh, sw);
        }
        if (height < Options.Height || width < Options.Width)
            throw new InvalidDataException(
                $"image '{pair.Image}' is {width}x{height}{scaled}, smaller than the {Options.Width}x{Options.Height} patches");
        var image = ImageIO.ToChw(hwc).ToFloatArray();
        var labelled = labels is not null && _onlyLabelled ? LabelledTable(labels, height, width) : null;
        return new Decoded(image, labels, labelled, height, width);
    }

    /// <summary>
    /// Labels resized by taking, for each target pixel, the source pixel under its centre: every value, the ignore
    /// value included, is one the mask already had. Done here rather than by OpenCV: its nearest-neighbour modes
    /// (INTER_NEAREST_EXACT too, in the 4.6 build used) take a block's top-left pixel, half a pixel off the area-averaged image.
    /// </summary>
    private static int[] NearestLabels(int[] labels, int height, int width, int newHeight, int newWidth)
    {
        var resized = new int[newHeight * newWidth];
        var columns = new int[newWidth];
        for (int x = 0; x < newWidth; x++) columns[x] = Math.Min(width - 1, (int)((x + 0.5) * width / newWidth));
        for (int y = 0; y < newHeight; y++)
        {
            int row = Math.Min(height - 1, (int)((y + 0.5) * height / newHeight)) * width;
            for (int x = 0; x < newWidth; x++) resized[y * newWidth + x] = labels[row + columns[x]];
        }
        return resized;
    }

    /// <summary>Summed-area table of labelled pixels, (H + 1) x (W + 1), so any window's count costs four reads.</summary>
    private int[] LabelledTable(int[] labels, int height, int width)
    {
        int stride = width + 1;
        var table = new int[(height + 1) * stride];
        for (int y = 0; y < height; y++)
        {
            int row = 0;
            for (int x = 0; x < width; x++)
            {
                if (labels[y * width + x] != _patches.IgnoreValue) row++;
                table[(y + 1) * stride + x + 1] = table[y * stride + x + 1] + row;
            }
        }
        return table;
    }
}
