using System.Globalization;
using InSitu.Data;
using InSitu.Evaluation;
using InSitu.Reports;
using InSitu.Torch;

namespace InSitu.Workflows.Segmentation;

/// <summary>One image's scores.</summary>
public sealed record ImageEvaluation(string Image, string Truth, double[] Iou, double[] Dice, long Pixels);

/// <summary>Scores over all images, pixels pooled (one confusion matrix), per class and as means over classes.</summary>
public sealed record SegmentationEvaluation(string[] ClassNames, double[] Iou, double[] Dice, double MeanIou, double MeanDice,
    long[][] Confusion, IReadOnlyList<ImageEvaluation> Images, string Report);

/// <summary>
/// `segment evaluate`: a model's predictions (tiled, at each image's own size) against label images, IoU and Dice per
/// class with the unlabelled value left out (<see cref="Overlap"/>, scikit-learn's definitions), per image and pooled;
/// report.html shows each image with its truth, the prediction and the uncertainty.
/// </summary>
public static class SegmentationEvaluator
{
    public static SegmentationEvaluation Evaluate(string modelPath, IReadOnlyList<PatchPair> pairs, string outDir,
        LabelPalette? palette = null,
        int mcSamples = 0, CancellationToken cancel = default)
    {
        if (pairs.Count == 0) throw new ArgumentException("no images to evaluate");
        using var model = SegmentationModel.Load(modelPath);
        var run = new RunDirectory(outDir);
        int k = model.Classes, ignore = model.Config.IgnoreValue;
        var total = new ConfusionMatrix(k);
        var images = new List<ImageEvaluation>();
        var report = new HtmlReport("Segmentation: evaluation");
        var rows = new List<(string, List<(string, string)>)>();
        foreach (var pair in pairs)
        {
            cancel.ThrowIfCancellationRequested();
            var truth = LabelImage.Read(pair.Mask!, k, palette, ignore);
            using var scope = TorchRuntime.NewDisposeScope();
            var hwc = SegmentationPredictor.ReadImage(model, pair.Image);
            int h = (int)hwc.Shape[0], w = (int)hwc.Shape[1];
            if (truth.Height != h || truth.Width != w)
                throw new InvalidDataException($"label image '{pair.Mask}' is {truth.Width}x{truth.Height} but its image '{pair.Image}' " +
                    $"is {w}x{h}");
            var confusion = new ConfusionMatrix(k);
            var preview = new PredictionPreview(h, w, 900);
            preview.TakeImage(hwc);
            var predicted = new long[w];
            var expected = new long[w];
            SegmentationPredictor.Stream(model, hwc, new PredictOptions { McSamples = mcSamples }, (y, planes) =>
            {
                for (int x = 0; x < w; x++)
                {
                    predicted[x] = SegmentationPredictor.ArgMax(planes, k, w, x);
                    expected[x] = truth.Labels[y * w + x];
                }
                confusion.Add(predicted, expected, ignore);
                total.Add(predicted, expected, ignore);
                preview.Take(y, planes, k, w);
            }, cancel);
            var s = Overlap.PerClass(confusion);
            images.Add(new ImageEvaluation(pair.Image, pair.Mask!, s.IoU, s.Dice, s.Pixels));
            var sampled = SegmentationReport.SampleLabels(truth with
            {
                Labels = truth.Labels.Select(v => v == ignore ? SegmentationData.Unlabelled : v).ToArray()
            }, preview);
            rows.Add(($"{Path.GetFileName(pair.Image)}: IoU {string.Join(", ", s.IoU.Select(F))}",
                SegmentationReport.Figures(run, pair.Image, preview, sampled, mcSamples > 0)));
        }
        var scores = Overlap.PerClass(total);
        string F(double v) => v.ToString("0.000", CultureInfo.InvariantCulture);
        report.Paragraph($"{pairs.Count} image(s), {scores.Pixels} labelled pixel(s), model {Path.GetFullPath(modelPath)}. IoU and Dice " +
            "per class over all labelled pixels pooled (pixels of the unlabelled value left out); the mean is over all classes.");
        report.Table(new[] { "class", "IoU", "Dice", "labelled pixels" }, Enumerable.Range(0, k).Select(c => (IReadOnlyList<string>)new[]
        {
            $"{c} {model.ClassNames[c]}", F(scores.IoU[c]), F(scores.Dice[c]), total.TrueCount(c).ToString(CultureInfo.InvariantCulture),
        }).Append(new[] { "mean", F(scores.MacroIoU), F(scores.MacroDice), scores.Pixels.ToString(CultureInfo.InvariantCulture) }));
        foreach (var (caption, figures) in rows.Take(20)) report.ImageRow(figures, caption);
        report.Save(run);
        var result = new SegmentationEvaluation(model.ClassNames, scores.IoU, scores.Dice, scores.MacroIoU, scores.MacroDice,
            total.ToArray(),
            images, run.File("report.html"));
        run.WriteJson("evaluation.json", result);
        return result;
    }
}
