using System.Diagnostics;
using InSitu.Data;
using InSitu.Imaging;
using InSitu.Torch;
using InSitu.Training;

namespace InSitu.Workflows.Segmentation;

/// <summary>How a model is run over an image.</summary>
public sealed record PredictOptions
{
    /// <summary>MC-dropout samples (dropout kept on, batch norms frozen); 0 = one deterministic pass and no disagreement map.</summary>
    public int McSamples { get; init; }
    /// <summary>Tiling; null takes the model's (tile_size, tile_margin, tile_blend, tile_batch of its config).</summary>
    public TileOptions? Tiles { get; init; }
    /// <summary>Longest side of the preview pictures (overlays) kept for reports.</summary>
    public int PreviewSize { get; init; } = 900;
}

/// <summary>A whole image's maps in memory, for small images and interactive use: planes are row-major H x W.</summary>
public sealed record PredictionMaps(int Width, int Height, int Classes, float[] Probabilities, int[] Labels, float[] Entropy,
    float[] Margin, float[]? Disagreement)
{
    /// <summary>Class k's probability at (x, y).</summary>
    public float Probability(int k, int x, int y) => Probabilities[((long)k * Height + y) * Width + x];
}

/// <summary>Where <see cref="SegmentationPredictor.PredictToFiles"/> wrote one image's maps, and what it measured.</summary>
public sealed record PredictionFiles(string Image, int Width, int Height, string Labels, IReadOnlyList<string> Probabilities,
    string Entropy, string Margin, string? Disagreement, long[] ClassPixels, double MeanEntropy, double Seconds,
    TiledInference.Stats Tiles, PredictionPreview Preview);

/// <summary>
/// A subsampled copy of an image and its maps (every <see cref="Stride"/>-th pixel of every Stride-th row), kept while
/// the full-size maps stream past, for overlays in reports.
/// </summary>
public sealed class PredictionPreview
{
    public PredictionPreview(int height, int width, int maxSide)
    {
        Stride = Math.Max(1, (Math.Max(height, width) + maxSide - 1) / maxSide);
        (Height, Width) = ((height + Stride - 1) / Stride, (width + Stride - 1) / Stride);
        Labels = new int[Height * Width];
        Entropy = new float[Height * Width];
        Margin = new float[Height * Width];
        Disagreement = new float[Height * Width];
    }

    public int Stride { get; }
    public int Height { get; }
    public int Width { get; }
    public int[] Labels { get; }
    public float[] Entropy { get; }
    public float[] Margin { get; }
    public float[] Disagreement { get; }
    /// <summary>The image's pixels at the preview's grid, 1 or 3 interleaved bytes each.</summary>
    public byte[] Image { get; private set; } = [];
    public int Channels { get; private set; } = 1;

    internal void TakeImage(Tensor hwc)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var t = hwc.Slice(0, 0, null, Stride).Slice(1, 0, null, Stride);
        if (t.DType != DType.UInt8) t = t.Mul(255.0).Round().Clamp(0, 255).Cast(DType.UInt8);
        Channels = (int)t.Shape[2];
        Image = t.Contiguous().ToArray<byte>();
    }

    internal void Take(int y, float[] planes, int classes, int width)
    {
        if (y % Stride != 0) return;
        int py = y / Stride;
        for (int px = 0; px < Width; px++)
        {
            int x = px * Stride, i = py * Width + px;
            Labels[i] = SegmentationPredictor.ArgMax(planes, classes, width, x);
            Entropy[i] = planes[classes * width + x];
            Margin[i] = planes[(classes + 1) * width + x];
            Disagreement[i] = planes[(classes + 2) * width + x];
        }
    }
}

/// <summary>
/// Runs a trained model over images of any size (METHODS.md §6: "inference on the whole image with overlapping
/// tiles"): each image is read as the model was trained (grey or RGB, rescaled by its scale), cut into blended tiles
/// (<see cref="TiledInference"/>), and per row it yields K class probabilities and three uncertainty maps, all in [0, 1]:
/// predictive entropy / ln K, 1 - margin (top probability minus the second), and MC-dropout disagreement (the mutual
/// information between prediction and dropout mask, / ln K; 0 without MC samples). Rows come back at the image's own size.
/// </summary>
public static class SegmentationPredictor
{
    /// <summary>Planes per row: the class probabilities, then entropy, margin and disagreement.</summary>
    public static int Planes(int classes) => classes + 3;

    /// <summary>An image as the model reads it: HxWxC uint8 (8-bit files) or float32 in [0, 1], grey or RGB.</summary>
    public static Tensor ReadImage(SegmentationModel model, string path) => ImagePipeline.Read(path, model.Config.Gray);

    /// <summary>
    /// Streams <see cref="Planes"/>(K) planes per row of <paramref name="hwc"/> (at its own size) to <paramref name="row"/>,
    /// rows in order; the buffer is reused, so copy what you keep.
    /// </summary>
    public static TiledInference.Stats Stream(SegmentationModel model, Tensor hwc, PredictOptions options, Action<int, float[]> row,
        CancellationToken cancel = default)
    {
        var config = model.Config;
        int height = (int)hwc.Shape[0], width = (int)hwc.Shape[1], planes = Planes(model.Classes);
        TileSourceImage source;
        int sh = height, sw = width;
        using (var scope = TorchRuntime.NewDisposeScope())
        {
            var input = hwc.Dim == 2 ? hwc.Unsqueeze(2) : hwc;
            if (config.Scale != 1)
            {
                // as the patch source rescales: area-averaged, to the rounded size
                sh = Math.Max(1, (int)Math.Round(height * config.Scale));
                sw = Math.Max(1, (int)Math.Round(width * config.Scale));
                input = ImageIO.Resize(input.Contiguous(), sh, sw, interpolation: 3);
                if (input.Dim == 2) input = input.Unsqueeze(2);
            }
            source = TileSourceImage.FromTensor(input);
        }
        Action<int, float[]> sink = row;
        if (sh != height || sw != width)
        {
            var resampler = new RowResampler(sh, sw, height, width, planes, row);
            sink = resampler.Push;
        }
        var net = model.Net;
        net.Eval();
        using var inference = Autograd.InferenceMode();
        try
        {
            net.McDropout = options.McSamples > 0;
            return TiledInference.Run(source, config.Mean, config.Std, options.Tiles ?? config.Tiles, planes,
                x => Outputs(net.Forward, x, model.Classes, options.McSamples), sink, cancel);
        }
        finally
        {
            net.McDropout = false;
        }
    }

    /// <summary>Probabilities and the three uncertainty maps of a batch of tiles (N x (K + 3) x h x w).</summary>
    internal static Tensor Outputs(Func<Tensor, Tensor> forward, Tensor x, int classes, int mcSamples)
    {
        double logK = Math.Log(classes);
        if (mcSamples <= 0)
        {
            var p = forward(x).Softmax(1);
            return Tensor.Cat(new[] { p, Entropy(p).Div(logK), Margin(p), Factory.ZerosLike(p.Narrow(1, 0, 1)) }, 1);
        }
        Tensor? sum = null, entropies = null;
        for (int s = 0; s < mcSamples; s++)
        {
            var p = forward(x).Softmax(1);
            sum = sum is null ? p : sum.Add(p);
            var h = Entropy(p);
            entropies = entropies is null ? h : entropies.Add(h);
        }
        var mean = sum!.Div(mcSamples);
        var total = Entropy(mean);
        var information = total.Sub(entropies!.Div(mcSamples)).ClampMin(0);
        return Tensor.Cat(new[] { mean, total.Div(logK), Margin(mean), information.Div(logK) }, 1);
    }

    /// <summary>-sum p ln p over classes, N x 1 x h x w.</summary>
    private static Tensor Entropy(Tensor p) => p.Mul(p.ClampMin(1e-12).Log()).Sum(1, keepDim: true).Neg();

    /// <summary>1 - (largest probability - second largest), N x 1 x h x w: 1 where the two leading classes tie.</summary>
    private static Tensor Margin(Tensor p)
    {
        var (top, _) = p.TopK(2, 1);
        return top.Narrow(1, 0, 1).Sub(top.Narrow(1, 1, 1)).RSub(1);
    }

    /// <summary>The most probable class at column x of a row's planes.</summary>
    public static int ArgMax(float[] planes, int classes, int width, int x)
    {
        int best = 0;
        for (int k = 1; k < classes; k++)
            if (planes[k * width + x] > planes[best * width + x]) best = k;
        return best;
    }

    /// <summary>
    /// All maps of one image in memory (for small images and interactive use; large images: <see cref="PredictToFiles"/>).
    /// </summary>
    public static PredictionMaps Predict(SegmentationModel model, Tensor hwc, PredictOptions options, CancellationToken cancel = default)
    {
        int h = (int)hwc.Shape[0], w = (int)hwc.Shape[1], k = model.Classes;
        var probabilities = new float[(long)k * h * w];
        var labels = new int[h * w];
        var entropy = new float[h * w];
        var margin = new float[h * w];
        var disagreement = options.McSamples > 0 ? new float[h * w] : null;
        Stream(model, hwc, options, (y, planes) =>
        {
            for (int c = 0; c < k; c++) Array.Copy(planes, c * w, probabilities, ((long)c * h + y) * w, w);
            Array.Copy(planes, k * w, entropy, y * w, w);
            Array.Copy(planes, (k + 1) * w, margin, y * w, w);
            if (disagreement is not null) Array.Copy(planes, (k + 2) * w, disagreement, y * w, w);
            for (int x = 0; x < w; x++) labels[y * w + x] = ArgMax(planes, k, w, x);
        }, cancel);
        return new PredictionMaps(w, h, k, probabilities, labels, entropy, margin, disagreement);
    }

    public static PredictionMaps Predict(SegmentationModel model, string image, PredictOptions options, CancellationToken cancel = default)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        return Predict(model, ReadImage(model, image), options, cancel);
    }

    /// <summary>
    /// Writes, into <paramref name="outDir"/>, NAME.labels.png (8-bit class numbers), NAME.prob-K-CLASS.png per class and
    /// NAME.entropy.png, NAME.margin.png (and NAME.mc-disagreement.png with MC samples) as 16-bit PNGs (value x 65535),
    /// streamed row by row: memory holds the decoded image, one band of tiles and a row per output file.
    /// </summary>
    public static PredictionFiles PredictToFiles(SegmentationModel model, string image, string outDir, PredictOptions options,
        CancellationToken cancel = default)
    {
        var watch = Stopwatch.StartNew();
        Directory.CreateDirectory(outDir);
        using var scope = TorchRuntime.NewDisposeScope();
        var hwc = ReadImage(model, image);
        int h = (int)hwc.Shape[0], w = (int)hwc.Shape[1], k = model.Classes;
        var stem = Path.Combine(outDir, Path.GetFileNameWithoutExtension(image));
        var preview = new PredictionPreview(h, w, options.PreviewSize);
        preview.TakeImage(hwc);
        var names = model.ClassNames.Select((n, c) => $"{stem}.prob-{c}-{Safe(n)}.png").ToList();
        string labelsPath = $"{stem}.labels.png", entropyPath = $"{stem}.entropy.png", marginPath = $"{stem}.margin.png";
        string? disagreementPath = options.McSamples > 0 ? $"{stem}.mc-disagreement.png" : null;
        var writers = new List<PngStreamWriter>();
        try
        {
            var labelPng = new PngStreamWriter(labelsPath, w, h, PngFormat.Gray8);
            writers.Add(labelPng);
            var planePngs = names.Append(entropyPath).Append(marginPath).Concat(disagreementPath is null ? [] : new[] { disagreementPath })
                .Select(p => new PngStreamWriter(p, w, h, PngFormat.Gray16)).ToList();
            writers.AddRange(planePngs);
            var counts = new long[k];
            double entropySum = 0;
            var labelRow = new byte[w];
            var sixteen = new ushort[w];
            var stats = Stream(model, hwc, options, (y, planes) =>
            {
                for (int x = 0; x < w; x++)
                {
                    int c = ArgMax(planes, k, w, x);
                    labelRow[x] = (byte)c;
                    counts[c]++;
                    entropySum += planes[k * w + x];
                }
                labelPng.WriteRow(labelRow);
                for (int p = 0; p < planePngs.Count; p++)
                {
                    for (int x = 0; x < w; x++) sixteen[x] = (ushort)Math.Clamp(MathF.Round(planes[p * w + x] * 65535), 0, 65535);
                    planePngs[p].WriteRow(sixteen);
                }
                preview.Take(y, planes, k, w);
            }, cancel);
            foreach (var png in writers) png.Complete();
            return new PredictionFiles(image, w, h, labelsPath, names, entropyPath, marginPath, disagreementPath, counts,
                entropySum / ((double)w * h), watch.Elapsed.TotalSeconds, stats, preview);
        }
        finally
        {
            foreach (var png in writers) png.Dispose();
        }
    }

    /// <summary>A class name as a file-name part: letters, digits, '-' and '_' kept, anything else '_'.</summary>
    public static string Safe(string name) =>
        new(name.Select(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' ? ch : '_').ToArray());
}
