using InSitu.Imaging;
using InSitu.Training;
using InSitu.Workflows.Segmentation;

namespace InSitu.Tests.Workflows.Segmentation;

/// <summary>Small grey scenes of bright discs (class 1) on a darker textured background (class 0), with full truth.</summary>
internal static class TinyScenes
{
    /// <summary>A model and training small enough for tests: 32-pixel patches, width 4, depth 2, two steps, a few epochs.</summary>
    public static SegmentationConfig Config => new()
    {
        PatchSize = 32,
        Depth = 2,
        BaseWidth = 4,
        Steps = 2,
        PatchesPerEpoch = 24,
        TileSize = 64,
        TileMargin = 8,
        TileBlend = 8,
        TileBatch = 4,
        McSamples = 3,
        Training = SegmentationConfig.DefaultTraining with { Epochs = 8, BatchSize = 8, LearningRate = 0.01, BacktrackPatience = 4 },
    };

    /// <summary>Writes NAME.png and NAME.truth.png (0/1) of <paramref name="size"/> pixels; returns their paths and the truth.</summary>
    public static (string Image, string Truth, int[] Labels) Write(string folder, string name, int size, int seed)
    {
        Directory.CreateDirectory(folder);
        var r = new Random(seed);
        var discs = Enumerable.Range(0, size * size / 500).Select(_ => (X: r.Next(size), Y: r.Next(size), R: 5 + r.Next(5))).ToList();
        var pixels = new byte[size * size];
        var labels = new int[size * size];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                bool inside = discs.Any(d => (x - d.X) * (x - d.X) + (y - d.Y) * (y - d.Y) <= d.R * d.R);
                labels[y * size + x] = inside ? 1 : 0;
                double v = (inside ? 0.75 : 0.3) + 0.08 * Math.Sin(x * 0.9 + y * 0.4) + 0.05 * (r.NextDouble() - 0.5);
                pixels[y * size + x] = (byte)Math.Clamp(v * 255, 0, 255);
            }
        var image = Path.Combine(folder, name + ".png");
        var truth = Path.Combine(folder, name + ".truth.png");
        using (var t = Tensor.FromArray(pixels, size, size, 1)) ImageIO.Write(image, t);
        SegmentationData.WriteLabels(truth, labels, size, size);
        return (image, truth, labels);
    }

    /// <summary>
    /// Strokes (the given share of each piece's core) over the whole image, written as NAME.png in <paramref name="folder"/>.
    /// </summary>
    public static string Strokes(string folder, string name, int[] truth, int size, double fraction)
    {
        Directory.CreateDirectory(folder);
        var labels = Enumerable.Repeat(255, truth.Length).ToArray();
        StrokeSimulator.Annotate(truth, size, size, (0, 0, size, size), fraction, labels, 255);
        var path = Path.Combine(folder, name + ".png");
        SegmentationData.WriteLabels(path, labels, size, size);
        return path;
    }
}
