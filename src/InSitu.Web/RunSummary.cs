using System.Globalization;
using System.Text.Json;
using InSitu.Common;
using InSitu.Data;
using InSitu.Training;

namespace InSitu.Web;

/// <summary>One method's figures in a run: the paper's Table II row (per-stage accuracy and its mean) and the others.</summary>
public sealed record MethodFigures(string Run, string Method, double Mean, double Std, double Overall, double WithinOne,
    double ErrorsInsideRange, double[] PerStage, double? NearestReference);

/// <summary>
/// What a run directory says about its results, read from the files the stage workflow writes: comparison.json
/// (`stage compare`, the demo) or evaluation.json (`stage train`), and the curve.json of each training phase.
/// </summary>
public static class RunSummary
{
    public static string Kind(string dir) =>
        File.Exists(Path.Combine(dir, "comparison.json")) ? "stage compare"
        : File.Exists(Path.Combine(dir, "evaluation.json")) ? "stage train"
        : File.Exists(Path.Combine(dir, "report.html")) ? "report" : "run";

    public static List<MethodFigures> Figures(string dir, string name)
    {
        var comparison = Path.Combine(dir, "comparison.json");
        var evaluation = Path.Combine(dir, "evaluation.json");
        if (File.Exists(comparison))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(comparison));
            return doc.RootElement.GetProperty("methods").EnumerateArray().Select(m => new MethodFigures(name,
                m.GetProperty("method").GetString() ?? "?",
                Num(m, "mean_per_stage_accuracy", "mean"), Num(m, "mean_per_stage_accuracy", "std"), Num(m, "overall_accuracy", "mean"),
                Num(m, "within_one_stage", "mean"), Num(m, "errors_inside_true_range", "mean"),
                PreciseStage.All.Select(s => Num(m.GetProperty("per_stage_accuracy"), s.ToString(), "mean")).ToArray(),
                m.TryGetProperty("nearest_reference_mean_per_stage_accuracy", out var nr) && nr.ValueKind == JsonValueKind.Object
                    ? Num(nr, "mean") : null)).ToList();
        }
        if (File.Exists(evaluation))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(evaluation));
            var root = doc.RootElement;
            var e = root.GetProperty("evaluation");
            return
            [
                new MethodFigures(name, root.TryGetProperty("method", out var m) ? m.GetString() ?? "?" : "?",
                    Num(e, "mean_per_stage_accuracy"), 0, Num(e, "overall_accuracy"), Num(e, "within_one_stage"),
                    Num(e, "errors_inside_range"), e.GetProperty("per_stage_accuracy").EnumerateArray().Select(Value).ToArray(), null),
            ];
        }
        return [];
    }

    /// <summary>
    /// The training curves of a run, one per phase folder holding a curve.json (of seed 1 only, for a comparison over
    /// seeds), named by the folder.
    /// </summary>
    public static List<(string phase, List<EpochMetrics> epochs)> Curves(string dir)
    {
        var seed1 = Path.Combine(dir, "seed-1");
        var root = Directory.Exists(seed1) ? seed1 : dir;
        var curves = new List<(string, List<EpochMetrics>)>();
        foreach (var file in Directory.EnumerateFiles(root, CurveFile.File,
                     new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 2 }).Order(StringComparer.Ordinal))
        {
            try
            {
                var phase = Path.GetRelativePath(root, Path.GetDirectoryName(file)!);
                curves.Add((phase == "." ? "training" : phase, JsonFile.Read<List<EpochMetrics>>(file)));
            }
            catch (InvalidDataException)
            {
                // a curve being rewritten right now
            }
        }
        return curves;
    }

    private static double Num(JsonElement e, params string[] path)
    {
        foreach (var p in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(p, out var next)) return double.NaN;
            e = next;
        }
        return Value(e);
    }

    private static double Value(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number => e.GetDouble(),
        JsonValueKind.String when double.TryParse(e.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) => v,
        _ => double.NaN,
    };
}
