using System.Globalization;
using InSitu.Data;
using InSitu.Imaging;
using InSitu.Reports;
using InSitu.Torch;
using InSitu.Training;

namespace InSitu.Workflows.Segmentation;

/// <summary>report.html of the segmentation commands: curves, tables and, per image, the image with its labels, the
/// prediction and the uncertainty overlaid (pictures subsampled to at most 900 pixels a side).</summary>
public static class SegmentationReport
{
    private static string F(double v) => double.IsFinite(v) ? v.ToString("0.000", CultureInfo.InvariantCulture) : "-";

    /// <summary>The figures of one predicted image: image, labels (when given), prediction, entropy (and MC disagreement).</summary>
    public static List<(string, string)> Figures(RunDirectory run, string name, PredictionPreview p, int[]? labels, bool disagreement)
    {
        var dir = run.Subfolder("figures");
        string Save(Picture picture, string kind)
        {
            var file = $"{PredictionFiles(name)}.{kind}.png";
            picture.Save(Path.Combine(dir, file));
            return $"figures/{file}";
        }
        var figures = new List<(string, string)>
        {
            (Save(LabelColors.Overlay(p.Image, p.Channels, p.Width, p.Height, new int[p.Labels.Length], 0, 0), "image"), name),
        };
        if (labels is not null)
            figures.Add((Save(LabelColors.Overlay(p.Image, p.Channels, p.Width, p.Height, labels, 0.6f, SegmentationData.Unlabelled),
                "annotation"), "annotation (uncoloured: not annotated)"));
        figures.Add((Save(LabelColors.Overlay(p.Image, p.Channels, p.Width, p.Height, p.Labels, 0.45f), "prediction"), "prediction"));
        figures.Add((Save(LabelColors.Heat(p.Entropy, p.Width, p.Height), "entropy"), "uncertainty: entropy / ln K"));
        if (disagreement) figures.Add((Save(LabelColors.Heat(p.Disagreement, p.Width, p.Height), "disagreement"),
            "MC-dropout disagreement"));
        return figures;
    }

    private static string PredictionFiles(string name) => SegmentationPredictor.Safe(Path.GetFileNameWithoutExtension(name));

    /// <summary>A label image sampled at a preview's grid (nearest), 255 where not annotated.</summary>
    public static int[] SampleLabels(LabelMap labels, PredictionPreview p)
    {
        var s = new int[p.Width * p.Height];
        for (int y = 0; y < p.Height; y++)
            for (int x = 0; x < p.Width; x++)
                s[y * p.Width + x] = labels.Labels[y * p.Stride * labels.Width + x * p.Stride];
        return s;
    }

    /// <summary>A prediction streamed only for its preview.</summary>
    public static PredictionPreview Preview(SegmentationModel model, string image, PredictOptions options, CancellationToken cancel)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var hwc = SegmentationPredictor.ReadImage(model, image);
        var preview = new PredictionPreview((int)hwc.Shape[0], (int)hwc.Shape[1], options.PreviewSize);
        preview.TakeImage(hwc);
        SegmentationPredictor.Stream(model, hwc, options, (y, planes) => preview.Take(y, planes, model.Classes, (int)hwc.Shape[1]), cancel);
        return preview;
    }

    public static string Training(RunDirectory run, SegmentationModel model, SegmentationTrainResult result, SegmentationData data,
        CancellationToken cancel)
    {
        var report = new HtmlReport("Segmentation training");
        report.Paragraph($"{data.Train.Count} annotated image(s), {result.Classes} classes ({string.Join(", ", result.ClassNames)}); " +
            $"U-Net depth {model.Config.Depth}, width {model.Config.BaseWidth}, {model.Config.Steps} recurrence step(s), " +
            $"{model.Config.PatchSize}-pixel patches at scale {model.Config.Scale.ToString(CultureInfo.InvariantCulture)}. " +
            (result.ValidationIsTraining
                ? "Only one annotated patch cell: validation watched the training labels themselves."
                : $"Validation: {result.ValidationPatches} held-out annotated patch(es)" +
                  (result.HeldOutCells > 0 ? $" ({result.HeldOutCells} cell(s) taken out of the training labels)." : ".")) +
            $" Best epoch {result.BestEpoch} of {result.History.Count}; training took {result.Seconds:F0} s.");
        report.Table(new[] { "class", "annotated training pixels", "annotated validation pixels" },
            Enumerable.Range(0, result.Classes).Select(c => (IReadOnlyList<string>)new[]
            {
                $"{c} {result.ClassNames[c]}", data.TrainPixels[c].ToString(CultureInfo.InvariantCulture),
                data.ValidationPixels[c].ToString(CultureInfo.InvariantCulture),
            }));
        var h = result.History;
        report.LinePlot("Training loss and validation loss per epoch", "epoch",
            new (string, IReadOnlyList<double>)[] { ("train loss", h.Select(e => e.TrainLoss).ToList()),
                ("validation loss", h.Select(e => e.Validation.GetValueOrDefault("val_loss", double.NaN)).ToList()) });
        report.LinePlot("Validation mean IoU (annotated classes) and learning rate x 1000 per epoch", "epoch",
            new (string, IReadOnlyList<double>)[] { ("val mean IoU",
                h.Select(e => e.Validation.GetValueOrDefault("val_mean_iou", double.NaN)).ToList()),
                ("lr x 1000", h.Select(e => e.LearningRate * 1000).ToList()) });
        report.Heading("Training images: annotation, prediction, uncertainty");
        foreach (var pair in data.Train.Take(6))
        {
            var preview = Preview(model, pair.Image, new PredictOptions(), cancel);
            var labels = LabelImage.Read(pair.Mask!, model.Classes, null, SegmentationData.Unlabelled);
            report.ImageRow(Figures(run, pair.Mask!, preview, SampleLabels(labels, preview), false), Path.GetFileName(pair.Image));
        }
        report.Save(run);
        return run.File("report.html");
    }
}
