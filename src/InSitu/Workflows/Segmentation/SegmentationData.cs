using InSitu.Common;
using InSitu.Data;
using InSitu.Imaging;
using InSitu.Reports;
using InSitu.Torch;

namespace InSitu.Workflows.Segmentation;

/// <summary>
/// The annotated images of a run, checked and rewritten as grey label PNGs of class numbers with 255 = not annotated
/// (labels/train, labels/val), whatever format they came in. When no validation images are given, a share of the
/// annotated patch cells (a grid of patch-sized cells at the working scale) is held out: their labels move from the
/// training files to the validation files, so early stopping and backtracking watch patches training never sees.
/// </summary>
public sealed record SegmentationData(
    IReadOnlyList<PatchPair> Train, IReadOnlyList<PatchPair> Validation, int Classes, string[] ClassNames, long[] TrainPixels,
    long[] ValidationPixels, int HeldOutCells, bool ValidationIsTraining)
{
    /// <summary>The "not annotated" value in the rewritten label files.</summary>
    public const int Unlabelled = 255;

    /// <summary>
    /// Checks every pair (sizes, classes, at least one annotated pixel, images not smaller than a patch) and writes the label files.
    /// </summary>
    public static SegmentationData Prepare(IReadOnlyList<PatchPair> pairs, IReadOnlyList<PatchPair>? validation, SegmentationConfig config,
        LabelPalette? palette, RunDirectory run, int seed)
    {
        if (pairs.Count == 0) throw new ArgumentException("no annotated images to train on");
        foreach (var p in pairs.Concat(validation ?? []))
            if (p.Mask is null) throw new ArgumentException($"image '{p.Image}' has no label image");
        int classes = ResolveClasses(pairs.Concat(validation ?? []).ToList(), config, palette);
        var names = palette is not null ? palette.Names.ToArray()
            : config.ClassNames.Length == classes ? config.ClassNames : Enumerable.Range(0, classes).Select(c => $"class{c}").ToArray();
        var trainDir = run.Subfolder(Path.Combine("labels", "train"));
        var valDir = run.Subfolder(Path.Combine("labels", "val"));
        var maps = pairs.Select(p => Read(p, classes, config, palette)).ToList();
        var train = new List<PatchPair>();
        var val = new List<PatchPair>();
        var trainPixels = new long[classes];
        var valPixels = new long[classes];
        int heldOut = 0;
        bool valIsTrain = false;
        if (validation is { Count: > 0 })
        {
            for (int i = 0; i < pairs.Count; i++) train.Add(WritePair(pairs[i].Image, maps[i], trainDir, i, trainPixels));
            for (int i = 0; i < validation.Count; i++)
                val.Add(WritePair(validation[i].Image, Read(validation[i], classes, config, palette), valDir, i, valPixels));
        }
        else
        {
            // patch cells holding an annotated pixel, in (image, row, column) order; a seeded share is held out
            var cells = new List<(int Image, int Y, int X)>();
            for (int i = 0; i < maps.Count; i++)
                foreach (var (y, x) in AnnotatedCells(maps[i], config))
                    cells.Add((i, y, x));
            var held = new HashSet<(int, int, int)>();
            if (cells.Count >= 2)
            {
                var order = cells.ToArray();
                var r = new SeededRandom((ulong)seed * 7919 + 3);
                for (int i = order.Length - 1; i > 0; i--)
                {
                    int j = r.Int(i + 1);
                    (order[i], order[j]) = (order[j], order[i]);
                }
                int n = Math.Clamp((int)Math.Round(config.ValidationShare * cells.Count), 1, cells.Count - 1);
                foreach (var c in order.Take(n)) held.Add(c);
            }
            heldOut = held.Count;
            valIsTrain = held.Count == 0;
            for (int i = 0; i < maps.Count; i++)
            {
                var m = maps[i];
                var trainLabels = (int[])m.Labels.Clone();
                var valLabels = new int[m.Labels.Length];
                Array.Fill(valLabels, Unlabelled);
                bool anyVal = false;
                int cell = Cell(config);
                for (int y = 0; y < m.Height; y++)
                    for (int x = 0; x < m.Width; x++)
                    {
                        int p = y * m.Width + x;
                        if (m.Labels[p] == Unlabelled) continue;
                        if (held.Contains((i, (int)(y * config.Scale) / cell, (int)(x * config.Scale) / cell)))
                        {
                            valLabels[p] = m.Labels[p];
                            trainLabels[p] = Unlabelled;
                            anyVal = true;
                        }
                    }
                var trainMap = m with { Labels = trainLabels };
                if (trainMap.Annotated(Unlabelled) > 0) train.Add(WritePair(pairs[i].Image, trainMap, trainDir, i, trainPixels));
                if (anyVal) val.Add(WritePair(pairs[i].Image, m with { Labels = valLabels }, valDir, i, valPixels));
            }
            if (valIsTrain)
            {
                // one annotated cell: nothing can be held out, so validation watches the training labels themselves
                val.AddRange(train);
                Array.Copy(trainPixels, valPixels, classes);
            }
        }
        return new SegmentationData(train, val, classes, names, trainPixels, valPixels, heldOut, valIsTrain);
    }

    private static int Cell(SegmentationConfig config) => config.PatchSize;

    /// <summary>Whole patch cells (at the working scale) that hold an annotated pixel, as (row, column) of the cell grid.</summary>
    private static IEnumerable<(int Y, int X)> AnnotatedCells(LabelMap m, SegmentationConfig config)
    {
        int cell = Cell(config);
        int rows = (int)(m.Height * config.Scale) / cell, cols = (int)(m.Width * config.Scale) / cell;
        var hit = new bool[rows, cols];
        for (int y = 0; y < m.Height; y++)
            for (int x = 0; x < m.Width; x++)
            {
                if (m.Labels[y * m.Width + x] == Unlabelled) continue;
                int cy = (int)(y * config.Scale) / cell, cx = (int)(x * config.Scale) / cell;
                if (cy < rows && cx < cols) hit[cy, cx] = true;
            }
        for (int y = 0; y < rows; y++)
            for (int x = 0; x < cols; x++)
                if (hit[y, x]) yield return (y, x);
    }

    /// <summary>
    /// The class count: the config's, else the palette's, else one more than the largest value of a grey label image
    /// (at least 2). A config and a palette that disagree are refused.
    /// </summary>
    private static int ResolveClasses(IReadOnlyList<PatchPair> pairs, SegmentationConfig config, LabelPalette? palette)
    {
        if (palette is not null)
        {
            if (config.Classes > 0 && config.Classes != palette.Count)
                throw new ArgumentException($"the config says {config.Classes} classes but the palette has {palette.Count}");
            return palette.Count;
        }
        if (config.Classes > 0) return config.Classes;
        int max = -1;
        foreach (var p in pairs)
        {
            using var scope = TorchRuntime.NewDisposeScope();
            var t = ImageIO.Read(p.Mask!);
            if (PngIndexedReader.Read(p.Mask!) is { } indexed)
            {
                foreach (var v in indexed.Indices)
                    if (v != config.IgnoreValue) max = Math.Max(max, v);
                continue;
            }
            if (t.Dim == 3 && t.Shape[2] != 1)
                throw new InvalidDataException($"label image '{p.Mask}' is a colour image; give its palette file (--palette) " +
                    "or save the labels as a grey or indexed PNG of class numbers");
            foreach (var v in t.Cast(DType.Int32).ToArray<int>())
                if (v != config.IgnoreValue) max = Math.Max(max, v);
        }
        if (max > 254)
            throw new InvalidDataException(
                $"label values go up to {max}; at most 255 classes (0..254) are supported, 255 meaning not annotated");
        return Math.Max(2, max + 1);
    }

    /// <summary>
    /// A pair's labels with its own ignore value turned into <see cref="Unlabelled"/>, after checking them against the
    /// image: same size, classes in range, at least one annotated pixel, and the image at least a patch at the working scale.
    /// </summary>
    public static LabelMap Read(PatchPair pair, int classes, SegmentationConfig config, LabelPalette? palette)
    {
        var (h, w) = ImageSize(pair.Image);
        var labels = LabelImage.Read(pair.Mask!, classes, palette, config.IgnoreValue);
        if (labels.Height != h || labels.Width != w)
            throw new InvalidDataException($"label image '{pair.Mask}' is {labels.Width}x{labels.Height} but its image '{pair.Image}' " +
                $"is {w}x{h}; a label image must have its image's size");
        if (labels.Annotated(config.IgnoreValue) == 0)
            throw new InvalidDataException($"label image '{pair.Mask}' has no annotated pixel (every pixel is the unlabelled value " +
                $"{config.IgnoreValue}); annotate some pixels or leave the image out");
        CheckPatchFits(pair.Image, h, w, config);
        if (config.IgnoreValue != Unlabelled)
            for (int i = 0; i < labels.Labels.Length; i++)
                if (labels.Labels[i] == config.IgnoreValue) labels.Labels[i] = Unlabelled;
        return labels;
    }

    public static void CheckPatchFits(string image, int height, int width, SegmentationConfig config)
    {
        int sh = (int)Math.Round(height * config.Scale), sw = (int)Math.Round(width * config.Scale);
        if (sh < config.PatchSize || sw < config.PatchSize)
            throw new InvalidDataException($"image '{image}' is {width}x{height}" +
                (config.Scale != 1 ? $" ({sw}x{sh} at scale {config.Scale})" : "") +
                $", smaller than the {config.PatchSize}x{config.PatchSize} training patches; use a smaller patch_size or a larger scale");
    }

    /// <summary>An image's height and width, from its decoded pixels (so a corrupt file fails here, naming it).</summary>
    public static (int Height, int Width) ImageSize(string path)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var t = ImageIO.Read(path);
        return ((int)t.Shape[0], (int)t.Shape[1]);
    }

    private static PatchPair WritePair(string image, LabelMap labels, string folder, int index, long[] counts)
    {
        foreach (var v in labels.Labels)
            if (v != Unlabelled) counts[v]++;
        var path = Path.Combine(folder, $"{index:D3}-{Path.GetFileNameWithoutExtension(image)}.png");
        WriteLabels(path, labels.Labels, labels.Width, labels.Height);
        return new PatchPair(image, path);
    }

    /// <summary>An 8-bit grey PNG of class numbers (255 = not annotated).</summary>
    public static void WriteLabels(string path, int[] labels, int width, int height)
    {
        using var png = new PngStreamWriter(path, width, height, PngFormat.Gray8);
        var row = new byte[width];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++) row[x] = (byte)labels[y * width + x];
            png.WriteRow(row);
        }
        png.Complete();
    }
}
