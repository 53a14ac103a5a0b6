using InSitu.Data;
using InSitu.Imaging;
using InSitu.Reports;
using InSitu.Torch;

namespace InSitu.Workflows.Segmentation;

/// <summary>How <see cref="PatchSuggester"/> proposes the next patch to annotate.</summary>
public sealed record SuggestOptions
{
    public UncertaintyRule Rule { get; init; } = UncertaintyRule.Entropy;
    /// <summary>Patch side in the images' own pixels; 0 = the model's training patch (patch_size / scale).</summary>
    public int PatchSize { get; init; }
    /// <summary>
    /// MC-dropout samples; null = the model's mc_samples (0 leaves the disagreement score out, unless the rule needs it).
    /// </summary>
    public int? McSamples { get; init; }
    /// <summary>How many of the best patches to list.</summary>
    public int Count { get; init; } = 5;
}

/// <summary>The proposed patch, the ranking it heads (best first, by the rule) and how many patches were candidates.</summary>
public sealed record SuggestResult(PatchScore Best, IReadOnlyList<PatchScore> Ranked, UncertaintyRule Rule, int Candidates);

/// <summary>
/// Active annotation (METHODS.md §6): every patch cell of the images that holds no annotated pixel is scored from the
/// model's prediction by mean predictive entropy, by margin and (with MC dropout) by disagreement; the cell with the
/// highest score by the chosen rule is the one to annotate next.
/// </summary>
public static class PatchSuggester
{
    public static SuggestResult Suggest(SegmentationModel model, IReadOnlyList<(string Image, string? Labels)> images,
        SuggestOptions options,
        CancellationToken cancel = default)
    {
        if (images.Count == 0) throw new ArgumentException("no images to suggest a patch in");
        if (options.Count < 1) throw new ArgumentException("--count must be at least 1");
        int mc = options.McSamples ?? model.Config.McSamples;
        if (options.Rule == UncertaintyRule.Disagreement && mc < 2)
            throw new ArgumentException("the disagreement rule needs MC-dropout samples (mc_samples of at least 2)");
        if (mc < 0) throw new ArgumentException("MC samples cannot be negative");
        int cell = options.PatchSize > 0 ? options.PatchSize : (int)Math.Round(model.Config.PatchSize / model.Config.Scale);
        var scores = new List<PatchScore>();
        foreach (var (image, labelsPath) in images)
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = TorchRuntime.NewDisposeScope();
            var hwc = SegmentationPredictor.ReadImage(model, image);
            int h = (int)hwc.Shape[0], w = (int)hwc.Shape[1];
            if (h < cell || w < cell)
                throw new InvalidDataException($"image '{image}' is {w}x{h}, smaller than the {cell}x{cell} patches to suggest");
            var grid = new PatchGrid(h, w, cell);
            var annotated = new bool[grid.Count];
            if (labelsPath is not null)
            {
                var labels = LabelImage.Read(labelsPath, model.Classes, null, model.Config.IgnoreValue);
                if (labels.Height != h || labels.Width != w)
                    throw new InvalidDataException($"label image '{labelsPath}' is {labels.Width}x{labels.Height} but its image " +
                        $"'{image}' is {w}x{h}");
                for (int i = 0; i < labels.Labels.Length; i++)
                    if (labels.Labels[i] != model.Config.IgnoreValue && grid.At(i / w, i % w) is >= 0 and var c) annotated[c] = true;
            }
            var sums = new UncertaintySums(grid);
            SegmentationPredictor.Stream(model, hwc, new PredictOptions { McSamples = mc },
                (y, planes) => sums.Add(y, planes, model.Classes, w),
                cancel);
            for (int c = 0; c < grid.Count; c++)
                if (!annotated[c]) scores.Add(sums.Score(image, c, mc > 0));
        }
        if (scores.Count == 0) throw new InvalidDataException("every patch of the images is already annotated; add images to suggest from");
        var ranked = scores.OrderByDescending(s => s.Score(options.Rule)).ThenBy(s => s.Image, StringComparer.Ordinal).ThenBy(s => s.Y)
            .ThenBy(s => s.X).ToList();
        return new SuggestResult(ranked[0], ranked.Take(options.Count).ToList(), options.Rule, scores.Count);
    }

    /// <summary>suggestions.json and report.html: the ranking, and the best patch outlined on its image next to the uncertainty.</summary>
    public static string Write(SegmentationModel model, SuggestResult result, string outDir, CancellationToken cancel = default)
    {
        var run = new RunDirectory(outDir);
        run.WriteJson("suggestions.json", result);
        var report = new HtmlReport("Segmentation: the next patch to annotate");
        report.Paragraph($"{result.Candidates} unannotated patch(es) scored; ranked by {Common.EnumNames.Name(result.Rule)}. " +
            "Annotate the outlined patch (red) next.");
        report.Table(new[] { "rank", "image", "x", "y", "size", "entropy", "margin", "MC disagreement" },
            result.Ranked.Select((s, i) => (IReadOnlyList<string>)new[]
            {
                (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), Path.GetFileName(s.Image), $"{s.X}", $"{s.Y}",
                $"{s.Width}x{s.Height}", Num(s.Entropy), Num(s.Margin), Num(s.Disagreement),
            }));
        var best = result.Best;
        var preview = SegmentationReport.Preview(model, best.Image, new PredictOptions(), cancel);
        var figures = SegmentationReport.Figures(run, best.Image, preview, null, false);
        var picture = LabelColors.Overlay(preview.Image, preview.Channels, preview.Width, preview.Height,
            new int[preview.Labels.Length], 0, 0);
        int s = preview.Stride;
        foreach (var other in result.Ranked.Skip(1).Where(o => o.Image == best.Image))
            LabelColors.Rectangle(picture, other.X / s, other.Y / s, other.Width / s, other.Height / s, (255, 200, 0));
        LabelColors.Rectangle(picture, best.X / s, best.Y / s, Math.Max(2, best.Width / s), Math.Max(2, best.Height / s), (255, 0, 0));
        picture.Save(Path.Combine(run.Subfolder("figures"), "suggestion.png"));
        figures.Insert(0, ("figures/suggestion.png", "next patch (red), runners-up (orange)"));
        report.ImageRow(figures, Path.GetFileName(best.Image));
        report.Save(run);
        return run.File("report.html");
    }

    private static string Num(double v) =>
        double.IsFinite(v) ? v.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture) : "-";
}
