using InSitu.Data;
using InSitu.Imaging;
using InSitu.Interpretation;
using InSitu.Models;
using InSitu.Reports;
using InSitu.Torch;
using InSitu.Training;

namespace InSitu.Workflows.Stages;

/// <summary>
/// The interpretation section of a comparison's report.html: a saliency gallery of correct and wrong test
/// predictions (image, saliency, guided backpropagation, Grad-CAM), GEMs of stages 7-12 by predicted and by true
/// stage, saliency-masked GEMs, and first-layer feature maps next to log-Gabor responses.
/// </summary>
public static class InterpretationFigures
{
    public static void Add(HtmlReport report, RunDirectory run, Manifest test, ResNet net, StageConfig config,
        string method, int perKind = 4)
    {
        var interpreter = new StageInterpreter(net, config);
        var (x, colour) = interpreter.Load(test, Enumerable.Range(0, test.Rows.Count).ToList());
        using var _ = x;
        var truth = test.Rows.Select(StageData.FineLabel).ToArray();
        var predicted = Inference.Classify(net, x);
        // correct examples from as many different stages as possible
        var correct = Enumerable.Range(0, truth.Length).Where(i => predicted[i] == truth[i]).GroupBy(i => truth[i])
            .Select(g => g.First()).Take(perKind).ToList();
        var wrong = Enumerable.Range(0, truth.Length).Where(i => predicted[i] != truth[i]).Take(perKind).ToList();
        var chosen = correct.Concat(wrong).ToList();
        report.Heading($"Interpretation ({method}, seed 1, test images)");
        if (chosen.Count > 0)
        {
            using var idx = Tensor.FromArray(chosen.Select(i => (long)i).ToArray(), chosen.Count);
            using var xs = x.IndexSelect(0, idx);
            var maps = Enum.GetValues<AttributionMethod>().Select(m => interpreter.Explain(xs, m).maps).ToList();
            var rows = chosen.Select((i, k) => (PreciseStage.FromClass(truth[i]).Value, (IReadOnlyList<Picture>)new[] { colour[i] }
                .Concat(maps.Select(m => MapImages.Overlay(colour[i], m[k]))).ToList())).ToList();
            MapImages.Grid(rows).Save(run.File("saliency-gallery.png"));
            report.Image("saliency-gallery.png",
                $"Rows: {correct.Count} correct, then {wrong.Count} wrong predictions, labelled with the true stage (predicted: " +
                string.Join(", ", chosen.Select(i => PreciseStage.FromClass(predicted[i]))) +
                    "). Columns: image, saliency, guided backpropagation, Grad-CAM.");
        }
        var (gemPredicted, gemMasked, gemTruth) = interpreter.Gems(x, colour, test.Rows.Select(r => r.Stage).ToList());
        var stages = Enumerable.Range(7, 6).ToList();
        StageInterpreter.GemGrid(stages, new[] { gemPredicted, gemTruth }).Save(run.File("gem-7-12.png"));
        report.Image("gem-7-12.png",
            "Genome-wide expression maps, stages 7-12 (rows): by predicted stage (left) and by true stage (right); colour = share of " +
            "genes active at each pixel (legend in %).");
        StageInterpreter.GemGrid(stages, new[] { gemMasked }).Save(run.File("gem-masked-7-12.png"));
        report.Image("gem-masked-7-12.png",
            "Masked GEMs, stages 7-12 by predicted stage: each image's active stain weighted by its normalised saliency map.");
        if (test.Rows.Count > 0)
        {
            using var first = x.Narrow(0, 0, 1);
            interpreter.FeatureMaps(first, colour[0]).Save(run.File("feature-maps.png"));
            report.Image("feature-maps.png",
                "Row 0: a test image. Row 1: the six most active first-layer CNN responses. Row 2: log-Gabor responses at the second " +
                "scale, one per orientation (0-150 degrees).");
        }
    }
}
