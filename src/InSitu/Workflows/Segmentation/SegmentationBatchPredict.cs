using InSitu.Data;
using InSitu.Reports;
using InSitu.Torch;

namespace InSitu.Workflows.Segmentation;

/// <summary>
/// `segment predict`: every image of a file or folder through <see cref="SegmentationPredictor.PredictToFiles"/>, one at a
/// time. A bad image is skipped and listed in failures.csv, never the batch; predict.json and report.html (overlays of
/// prediction and uncertainty) describe the rest.
/// </summary>
public static class SegmentationBatchPredict
{
    public sealed record Result(IReadOnlyList<PredictionFiles> Predicted, int Images, IReadOnlyList<(string path, string reason)> Failures,
        string FailuresPath, string Report);

    public static Result Run(string modelPath, string input, string outDir, PredictOptions options,
        Action<int, int, string>? progress = null,
        CancellationToken cancel = default)
    {
        using var model = SegmentationModel.Load(modelPath);
        var images = SegmentationInputs.Images(input);
        var run = new RunDirectory(outDir);
        var predicted = new List<PredictionFiles>();
        var failures = new List<(string, string)>();
        for (int i = 0; i < images.Count; i++)
        {
            progress?.Invoke(i, images.Count, images[i]);
            try
            {
                predicted.Add(SegmentationPredictor.PredictToFiles(model, images[i], run.Path, options, cancel));
            }
            catch (Exception e) when (e is TorchException or InvalidDataException or IOException)
            {
                failures.Add((images[i], e.Message));
            }
        }
        var failuresPath = run.File("failures.csv");
        FailureReport.Write(failuresPath, failures);
        run.WriteJson("predict.json", new
        {
            model = Path.GetFullPath(modelPath),
            options.McSamples,
            classes = model.ClassNames,
            images = predicted.Select(p => new
            {
                p.Image,
                p.Width,
                p.Height,
                p.Labels,
                p.Probabilities,
                p.Entropy,
                p.Margin,
                p.Disagreement,
                class_pixels = p.ClassPixels,
                mean_entropy = p.MeanEntropy,
                seconds = Math.Round(p.Seconds, 2),
                tiles = p.Tiles,
            }),
            failures = failures.Select(f => new { path = f.Item1, reason = f.Item2 }),
            peak_memory_mb = PeakMemoryMegabytes(),
        });
        var report = new HtmlReport("Segmentation: prediction");
        report.Paragraph($"{predicted.Count} of {images.Count} image(s) predicted with {Path.GetFullPath(modelPath)} " +
            $"({model.Classes} classes: {string.Join(", ", model.ClassNames)}); " +
            (options.McSamples > 0 ? $"{options.McSamples} MC-dropout samples per tile." : "one deterministic pass per tile."));
        foreach (var p in predicted.Take(20))
            report.ImageRow(SegmentationReport.Figures(run, p.Image, p.Preview, null, options.McSamples > 0),
                $"{Path.GetFileName(p.Image)} ({p.Width}x{p.Height}, {p.Seconds:F1} s)");
        report.Save(run);
        if (predicted.Count == 0) throw FailureReport.NothingUsable($"in '{input}'", images.Count, failures, failuresPath);
        return new Result(predicted, images.Count, failures, failuresPath, run.File("report.html"));
    }

    /// <summary>The process's peak resident memory (VmHWM) in MB, where the system reports it; null elsewhere.</summary>
    public static double? PeakMemoryMegabytes()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            if (line is null) return null;
            var kb = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1],
                System.Globalization.CultureInfo.InvariantCulture);
            return Math.Round(kb / 1024.0, 1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}
