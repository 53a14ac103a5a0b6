using InSitu.Torch;

namespace InSitu.Training;

/// <summary>
/// How <see cref="TiledInference"/> cuts an image: tiles of <see cref="TileSize"/> (per axis no larger than the image
/// rounded up to <see cref="Alignment"/>), of which <see cref="Margin"/> pixels on each inner side are context only
/// (weight 0), and neighbouring tiles crossfading linearly over at least <see cref="Blend"/> pixels. Tile origins are
/// multiples of <see cref="Alignment"/> (a network's total pooling factor), so every tile sees the image on the same
/// pooling grid as a pass over the whole image would; with a margin at least the network's receptive radius, the
/// blended result equals the whole-image pass everywhere but at the image border.
/// </summary>
public sealed record TileOptions
{
    public int TileSize { get; init; } = 256;
    public int Margin { get; init; } = 32;
    public int Blend { get; init; } = 32;
    public int Alignment { get; init; } = 1;
    /// <summary>Tiles per forward pass: with one band of accumulators, all the memory inference holds.</summary>
    public int BatchSize { get; init; } = 4;

    public void Validate()
    {
        if (Alignment < 1) throw new ArgumentException($"tile alignment must be at least 1 (got {Alignment})");
        if (TileSize < Alignment || TileSize % Alignment != 0)
            throw new ArgumentException($"tile size {TileSize} must be a positive multiple of {Alignment} (the network's pooling factor)");
        if (Margin < 0 || Blend < 1)
            throw new ArgumentException($"tile margin ({Margin}) cannot be negative and blend ({Blend}) must be positive");
        if (TileSize - 2 * Margin - Blend < Alignment)
            throw new ArgumentException($"tile size {TileSize} leaves no step after two margins of {Margin} and a blend of {Blend}; " +
                $"use tiles of at least {2 * Margin + Blend + Alignment} pixels or a smaller margin");
        if (BatchSize < 1) throw new ArgumentException($"tile batch size must be at least 1 (got {BatchSize})");
    }
}

/// <summary>
/// An image held as decoded (8-bit bytes, or floats in [0, 1]), H x W x C interleaved, that <see cref="TiledInference"/>
/// cuts tiles from, normalised per channel by (x - mean) / std and mirrored beyond the border. Holding the 8-bit pixels
/// rather than a float copy keeps the input at a quarter of the size.
/// </summary>
public sealed class TileSourceImage
{
    private readonly byte[]? _bytes;
    private readonly float[]? _floats;

    public TileSourceImage(byte[] hwc, int height, int width, int channels) : this(height, width, channels, hwc.Length) => _bytes = hwc;

    public TileSourceImage(float[] hwc, int height, int width, int channels) : this(height, width, channels, hwc.Length) => _floats = hwc;

    private TileSourceImage(int height, int width, int channels, long length)
    {
        if (height < 1 || width < 1 || channels < 1 || length != (long)height * width * channels)
            throw new ArgumentException($"{length} pixel values do not make a {width}x{height} image of {channels} channel(s)");
        (Height, Width, Channels) = (height, width, channels);
    }

    public int Height { get; }
    public int Width { get; }
    public int Channels { get; }

    public float this[int y, int x, int c] =>
        _bytes is { } b ? b[((long)y * Width + x) * Channels + c] * (1f / 255) : _floats![((long)y * Width + x) * Channels + c];

    /// <summary>An HxWxC uint8 or float32 tensor (the layout <see cref="ImageIO.Read"/> gives; 16-bit first scaled to [0, 1]).</summary>
    public static TileSourceImage FromTensor(Tensor hwc)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var t = hwc.Dim == 2 ? hwc.Unsqueeze(2) : hwc;
        int h = (int)t.Shape[0], w = (int)t.Shape[1], c = (int)t.Shape[2];
        if (t.DType == DType.UInt8) return new TileSourceImage(t.Contiguous().ToArray<byte>(), h, w, c);
        return new TileSourceImage(ImageIO.ToUnit(t).Contiguous().ToFloatArray(), h, w, c);
    }

    /// <summary>Writes the normalised C x h x w window at (y0, x0) into <paramref name="dst"/> at <paramref name="offset"/>.</summary>
    public void Cut(int y0, int x0, int h, int w, float[] mean, float[] std, float[] dst, int offset)
    {
        var xs = new int[w];
        for (int v = 0; v < w; v++) xs[v] = Mirror(x0 + v, Width);
        for (int u = 0; u < h; u++)
        {
            int y = Mirror(y0 + u, Height);
            for (int c = 0; c < Channels; c++)
            {
                float m = mean[c], inv = 1 / std[c];
                int o = offset + (c * h + u) * w;
                for (int v = 0; v < w; v++) dst[o + v] = (this[y, xs[v], c] - m) * inv;
            }
        }
    }

    /// <summary>Mirrors an index into [0, n): ... 2 1 0 1 2 ... at the low edge.</summary>
    public static int Mirror(int i, int n)
    {
        if (n == 1) return 0;
        int period = 2 * (n - 1);
        i = Math.Abs(i) % period;
        return i >= n ? period - i : i;
    }
}

/// <summary>
/// Runs a dense per-pixel model over an image of any size with overlapping, blended tiles, streaming: one band of
/// tile rows is accumulated (C x tile height x width floats, plus the weights), and every image row is handed to the
/// caller as soon as no later tile can touch it; then the band moves on. Peak memory is that band plus the tiles of
/// one forward pass, whatever the image's height, so the caller decides what to keep of the rows (write them to a PNG,
/// count them, keep a preview).
/// </summary>
public static class TiledInference
{
    /// <summary>What a run held at most: the accumulator band and the tiles of one forward pass.</summary>
    public sealed record Stats(int Tiles, int TileHeight, int TileWidth, long BandBytes, long TileBatchBytes);

    /// <summary>
    /// Calls <paramref name="row"/>(y, values) for y = 0..H-1 in order, values holding <paramref name="outputs"/> planes of
    /// W floats (plane c at c x W): the weighted mean of the tiles' outputs at that row. <paramref name="forward"/> maps
    /// N x C x h x w normalised tiles to N x <paramref name="outputs"/> x h x w (e.g. softmax probabilities), in the
    /// caller's mode (eval, no-grad).
    /// </summary>
    public static Stats Run(TileSourceImage image, float[] mean, float[] std, TileOptions options, int outputs,
        Func<Tensor, Tensor> forward, Action<int, float[]> row, CancellationToken cancel = default)
    {
        options.Validate();
        if (mean.Length != image.Channels || std.Length != image.Channels)
            throw new ArgumentException($"the image has {image.Channels} channel(s) but mean/std have {mean.Length}/{std.Length}");
        var ys = Axis.Plan(image.Height, options);
        var xs = Axis.Plan(image.Width, options);
        int th = ys.Tile, tw = xs.Tile, width = image.Width, c = image.Channels;
        int paddedWidth = xs.Origins[^1] + tw;
        var band = new float[outputs * th * paddedWidth];
        var weights = new float[th * paddedWidth];
        int bandY = 0, emitted = 0;
        var values = new float[outputs * width];
        int batch = options.BatchSize;
        var input = new float[batch * c * th * tw];
        for (int ky = 0; ky < ys.Origins.Length; ky++)
        {
            int y0 = ys.Origins[ky];
            var wy = ys.Weights(ky);
            for (int first = 0; first < xs.Origins.Length; first += batch)
            {
                cancel.ThrowIfCancellationRequested();
                int n = Math.Min(batch, xs.Origins.Length - first);
                for (int i = 0; i < n; i++)
                    image.Cut(y0, xs.Origins[first + i], th, tw, mean, std, input, i * c * th * tw);
                float[] output;
                using (var scope = TorchRuntime.NewDisposeScope())
                {
                    var x = Tensor.FromArray(input.AsSpan(0, n * c * th * tw), n, c, th, tw);
                    var y = forward(x);
                    var shape = y.Shape;
                    if (shape.Length != 4 || shape[0] != n || shape[1] != outputs || shape[2] != th || shape[3] != tw)
                        throw new InvalidOperationException($"the tile model gave {Tensor.FormatShape(shape)} for tiles " +
                            $"{Tensor.FormatShape(x.Shape)}; expected [{n}, {outputs}, {th}, {tw}]");
                    output = y.Contiguous().ToFloatArray();
                }
                for (int i = 0; i < n; i++)
                {
                    int x0 = xs.Origins[first + i];
                    var wx = xs.Weights(first + i);
                    for (int u = 0; u < th; u++)
                    {
                        if (wy[u] == 0) continue;
                        int by = y0 + u - bandY;
                        for (int v = 0; v < tw; v++)
                        {
                            float weight = wy[u] * wx[v];
                            if (weight == 0) continue;
                            int at = by * paddedWidth + x0 + v;
                            weights[at] += weight;
                            for (int o = 0; o < outputs; o++)
                                band[(o * th + by) * paddedWidth + x0 + v] += weight * output[((i * outputs + o) * th + u) * tw + v];
                        }
                    }
                }
            }
            // rows before the next tile row's first weighted row are final
            int end = ky + 1 < ys.Origins.Length ? ys.FirstWeighted(ky + 1) : image.Height;
            end = Math.Min(end, image.Height);
            for (; emitted < end; emitted++)
            {
                int by = emitted - bandY;
                for (int o = 0; o < outputs; o++)
                    for (int x = 0; x < width; x++)
                    {
                        float w = weights[by * paddedWidth + x];
                        values[o * width + x] = w > 0 ? band[(o * th + by) * paddedWidth + x] / w : float.NaN;
                    }
                row(emitted, values);
            }
            // slide the band so that it starts at the first row not yet handed out
            int shift = end - bandY;
            if (shift > 0 && ky + 1 < ys.Origins.Length)
            {
                int keep = th - shift;
                for (int o = 0; o < outputs; o++)
                {
                    int plane = o * th * paddedWidth;
                    Array.Copy(band, plane + shift * paddedWidth, band, plane, keep * paddedWidth);
                    Array.Clear(band, plane + keep * paddedWidth, shift * paddedWidth);
                }
                Array.Copy(weights, shift * paddedWidth, weights, 0, keep * paddedWidth);
                Array.Clear(weights, keep * paddedWidth, shift * paddedWidth);
                bandY = end;
            }
        }
        return new Stats(ys.Origins.Length * xs.Origins.Length, th, tw, 4L * (band.Length + weights.Length),
            4L * batch * (c + outputs) * th * tw);
    }

    /// <summary>Tile origins and weights along one axis.</summary>
    internal sealed class Axis
    {
        private readonly int _margin, _blend;

        private Axis(int tile, int[] origins, int margin, int blend) => (Tile, Origins, _margin, _blend) = (tile, origins, margin, blend);

        public int Tile { get; }
        public int[] Origins { get; }

        public static Axis Plan(int length, TileOptions o)
        {
            int a = o.Alignment;
            int whole = (length + a - 1) / a * a;
            if (whole <= o.TileSize) return new Axis(whole, new[] { 0 }, 0, 1);
            int tile = o.TileSize;
            int step = (tile - 2 * o.Margin - o.Blend) / a * a;
            int blend = tile - 2 * o.Margin - step;
            int count = (length - tile + step - 1) / step + 1;
            return new Axis(tile, Enumerable.Range(0, count).Select(k => k * step).ToArray(), o.Margin, blend);
        }

        /// <summary>
        /// Tile k's weight at each offset: 0 in the margins, a linear ramp over the blend, 1 between; no margin and
        /// no ramp on a side where the tile meets the image's edge (no other tile covers it there).
        /// </summary>
        public float[] Weights(int k)
        {
            var w = new float[Tile];
            bool first = k == 0, last = k == Origins.Length - 1;
            for (int u = 0; u < Tile; u++)
            {
                float lo = first ? 1 : Math.Clamp((u - _margin + 0.5f) / _blend, 0, 1);
                float hi = last ? 1 : Math.Clamp((Tile - _margin - u - 0.5f) / _blend, 0, 1);
                w[u] = Math.Min(lo, hi);
            }
            return w;
        }

        /// <summary>The first offset (image coordinate) at which tile k has weight.</summary>
        public int FirstWeighted(int k) => Origins[k] + (k == 0 ? 0 : _margin);
    }
}
