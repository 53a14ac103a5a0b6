using System.Globalization;
using InSitu.Common;
using InSitu.Data;
using InSitu.Interpretation;
using InSitu.Reports;
using InSitu.Torch;
using InSitu.Training;

namespace InSitu.Workflows.Stages;

/// <summary>What `explain` draws: an attribution map of one of three kinds, or first-layer feature maps.</summary>
public enum ExplanationKind { Saliency, Guided, GradCam, Features }

/// <summary>`explain` and `gem`: a stage model's attribution maps and expression maps written to a folder.</summary>
public static class StageExplainer
{
    /// <summary>
    /// One map (grey and overlaid) per image plus explanations.csv, or one feature-map panel per image. Output names
    /// come from the image names, made unique when two inputs share one (a/x.png and b/x.png).
    /// </summary>
    public static int ExplainToFolder(string modelPath, IReadOnlyList<string> images, ExplanationKind kind,
        PreciseStage? stage, string outDir)
    {
        var (net, info) = StageModelInfo.Load(modelPath);
        using var _ = net;
        var manifest = ImageInputs.Load(images);
        var interpreter = new StageInterpreter(net, info.Config);
        Directory.CreateDirectory(outDir);
        var rows = Enumerable.Range(0, manifest.Rows.Count).ToList();
        var names = UniqueNames(manifest.Rows.Select(r => Path.GetFileNameWithoutExtension(r.Path)).ToList());
        var (x, colour) = interpreter.Load(manifest, rows);
        using var __ = x;
        if (kind == ExplanationKind.Features)
        {
            for (int i = 0; i < rows.Count; i++)
                using (var xi = x.Narrow(0, i, 1))
                    interpreter.FeatureMaps(xi, colour[i]).Save(Path.Combine(outDir, $"{names[i]}.features.png"));
            return rows.Count;
        }
        var method = kind switch
        {
            ExplanationKind.Saliency => AttributionMethod.Saliency,
            ExplanationKind.Guided => AttributionMethod.Guided,
            _ => AttributionMethod.GradCam,
        };
        var classes = stage is { } s ? Enumerable.Repeat((long)s.Class, rows.Count).ToArray() : null;
        var predicted = Inference.Classify(net, x);
        var (maps, explained) = interpreter.Explain(x, method, classes);
        var slug = EnumNames.Name(kind);
        var lines = new List<string> { "path,predicted_stage,explained_stage,map,overlay" };
        for (int i = 0; i < rows.Count; i++)
        {
            string map = $"{names[i]}.{slug}.png", overlay = $"{names[i]}.{slug}.overlay.png";
            MapImages.Gray(maps[i], info.Config.Width, info.Config.Height).Save(Path.Combine(outDir, map));
            MapImages.Overlay(colour[i], maps[i]).Save(Path.Combine(outDir, overlay));
            lines.Add(Csv.Line(new[] { manifest.FullPath(manifest.Rows[i]), PreciseStage.FromClass(predicted[i]).ToString(),
                PreciseStage.FromClass(explained[i]).ToString(), map, overlay }));
        }
        AtomicFile.WriteText(Path.Combine(outDir, "explanations.csv"), string.Join("\n", lines) + "\n");
        return rows.Count;
    }

    /// <summary>GEMs of the given stages by predicted (and true, where known) stage into gem.png, gem-masked.png and gems.json.</summary>
    public static string GemsToFolder(string modelPath, string manifestPath, IReadOnlyList<int> stages, bool masked, string outDir)
    {
        var (net, info) = StageModelInfo.Load(modelPath);
        using var _ = net;
        var m = Manifest.Load(manifestPath);
        var interpreter = new StageInterpreter(net, info.Config);
        var (x, colour) = interpreter.Load(m, Enumerable.Range(0, m.Rows.Count).ToList());
        ExpressionMaps predicted, maskedMaps, truth;
        using (x) (predicted, maskedMaps, truth) = interpreter.Gems(x, colour, m.Rows.Select(r => r.Stage).ToList(), masked);
        Directory.CreateDirectory(outDir);
        var columns = new List<ExpressionMaps> { predicted };
        if (truth.Stages.Any()) columns.Add(truth);
        StageInterpreter.GemGrid(stages, columns).Save(Path.Combine(outDir, "gem.png"));
        if (masked) StageInterpreter.GemGrid(stages, new[] { maskedMaps }).Save(Path.Combine(outDir, "gem-masked.png"));
        new RunDirectory(outDir).WriteJson("gems.json", new
        {
            columns = truth.Stages.Any() ? new[] { "predicted stage", "true stage" } : new[] { "predicted stage" },
            images_by_predicted_stage = stages.ToDictionary(s => s.ToString(CultureInfo.InvariantCulture), predicted.Images),
            images_by_true_stage = stages.ToDictionary(s => s.ToString(CultureInfo.InvariantCulture), truth.Images),
            legend = "share of genes active (stain above threshold) at each pixel",
        });
        return Path.Combine(outDir, "gem.png");
    }

    private static List<string> UniqueNames(IReadOnlyList<string> names)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        return names.Select(n =>
        {
            int k = seen.TryGetValue(n, out var c) ? c + 1 : 1;
            seen[n] = k;
            return k == 1 ? n : $"{n}-{k}";
        }).ToList();
    }
}
