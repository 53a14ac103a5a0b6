using System.Globalization;
using InSitu.Data;
using InSitu.Imaging;
using InSitu.Reports;
using InSitu.Torch;

namespace InSitu.Workflows.Segmentation;

/// <summary>report.html of `segment simulate`: the learning curves (mean ± std over seeds), a table per round, and the
/// seed-1 predictions with the patch grid drawn as the seed does (training patches red, test blue, unused green).</summary>
internal static class SimulationReport
{
    private static string P(double v) => double.IsFinite(v) ? v.ToString("0.000", CultureInfo.InvariantCulture) : "-";

    public static string Write(RunDirectory run, SimulationOptions o, SegmentationConfig config, string image, PatchGrid grid,
        IReadOnlyList<SimulationCurve> curves, string[] names, List<(int Seed, int[] Test, List<int> Active, List<int> Random)> seeds,
        int patches, CancellationToken cancel)
    {
        var report = new HtmlReport("Segmentation: simulated active annotation");
        var rule = Common.EnumNames.Name(o.Rule);
        report.Paragraph($"{Path.GetFileName(o.Image)} at scale {o.Config.Scale.ToString(CultureInfo.InvariantCulture)} " +
            $"({grid.Width}x{grid.Height}), cut into {grid.Count} patches of {grid.Cell}x{grid.Cell} ({grid.Columns}x{grid.Rows}); " +
            $"classes {string.Join(", ", names.Select((n, i) => $"{i} {n}"))}. Per seed: 1 training and {o.TestPatches} " +
            $"test patch(es) at random; each round adds one patch, by {rule} (active) or at random, annotated with simulated strokes " +
            $"({100 * o.StrokeFraction:0.#}% of each object's and background area's pixels, from the centre out). Scores: IoU and Dice " +
            $"on the unused patches against the full truth, {seeds.Count} seed(s). U-Net depth {config.Depth}, width " +
            $"{config.BaseWidth}, {config.Steps} step(s); " +
            (o.WarmStart ? "each round starts from the previous round's model." : "each round trains from scratch."));
        var x = curves[0].Patches.Select(v => (double)v).ToList();
        var figures = run.Subfolder("figures");
        File.WriteAllText(Path.Combine(figures, "learning-curve-iou.svg"), BandChart.Svg(x,
            curves.Select(c => new BandSeries(c.Strategy == AnnotationSimulation.Active ? $"active ({rule})" : "random",
                c.MeanIou, c.StdIou))
                .ToList(), "annotated training patches", $"IoU of class {o.TargetClass} ({names[o.TargetClass]})", 0, 1));
        report.Image("figures/learning-curve-iou.svg",
            $"Learning curve: IoU of {names[o.TargetClass]} on the unused patches, mean ± std over {seeds.Count} seed(s)");
        File.WriteAllText(Path.Combine(figures, "learning-curve-dice.svg"), BandChart.Svg(x,
            curves.Select(c => new BandSeries(c.Strategy == AnnotationSimulation.Active ? $"active ({rule})" : "random",
                c.MeanDice, c.StdDice))
                .ToList(), "annotated training patches", $"Dice of class {o.TargetClass}", 0, 1));
        report.Image("figures/learning-curve-dice.svg", $"Dice of {names[o.TargetClass]}, mean ± std over seeds");
        var active = curves[0];
        var random = curves[1];
        var gaps = Enumerable.Range(1,
            Math.Max(0, patches - 1)).Select(i => active.MeanIou[i] - random.MeanIou[i]).Where(double.IsFinite).ToList();
        report.Paragraph($"After {patches} patch(es): active {P(active.MeanIou[^1])} ± {P(active.StdIou[^1])}, random " +
            $"{P(random.MeanIou[^1])} ± {P(random.StdIou[^1])} IoU of {names[o.TargetClass]}. Mean gap active - random over rounds " +
            $"2..{patches}: {(gaps.Count > 0 ? P(gaps.Average()) : "-")}.");
        report.Table(new[] { "patches", "active IoU", "random IoU", "gap", "active Dice", "random Dice", "active mean IoU",
            "random mean IoU", "seeds" },
            Enumerable.Range(0, patches).Select(i => (IReadOnlyList<string>)new[]
            {
                $"{i + 1}", $"{P(active.MeanIou[i])} ± {P(active.StdIou[i])}", $"{P(random.MeanIou[i])} ± {P(random.StdIou[i])}",
                P(active.MeanIou[i] - random.MeanIou[i]), $"{P(active.MeanDice[i])} ± {P(active.StdDice[i])}",
                $"{P(random.MeanDice[i])} ± {P(random.StdDice[i])}", P(active.MeanOverClassesIou[i]), P(random.MeanOverClassesIou[i]),
                $"{active.Seeds[i]}/{random.Seeds[i]}",
            }));
        if (seeds.Count > 0)
        {
            var (seed, test, activePicks, randomPicks) = seeds[0];
            report.Heading($"Seed {seed}: probability of {names[o.TargetClass]} (bright), training patches red, test blue, unused green");
            var rows = new List<(string, string)>();
            foreach (var (strategy, picks, round) in new[] { (AnnotationSimulation.Active, activePicks, 1),
                (AnnotationSimulation.Active, activePicks, Math.Min(patches, activePicks.Count)),
                (AnnotationSimulation.Random, randomPicks, Math.Min(patches, randomPicks.Count)) })
            {
                var folder = round == 1 ? run.File(Path.Combine($"seed-{seed}", "round-01"))
                    : run.File(Path.Combine($"seed-{seed}", strategy, $"round-{round:D2}"));
                if (!File.Exists(Path.Combine(folder, "train", SegmentationModel.InfoFile))) continue;
                var file = $"seed{seed}-{(round == 1 ? "round01" : strategy + $"-round{round:D2}")}.png";
                Picture(folder, o, image, grid, picks.Take(round).ToList(), test).Save(Path.Combine(figures, file));
                rows.Add(($"figures/{file}", round == 1 ? "1 training patch" : $"{strategy}: {round} training patches"));
                cancel.ThrowIfCancellationRequested();
            }
            report.ImageRow(rows, "As in seed 003's figures: the model's probability of the target class over the whole image");
            int last = Math.Min(patches, activePicks.Count);
            var lastFolder = last == 1 ? run.File(Path.Combine($"seed-{seed}", "round-01"))
                : run.File(Path.Combine($"seed-{seed}", AnnotationSimulation.Active, $"round-{last:D2}"));
            if (File.Exists(Path.Combine(lastFolder, "train", SegmentationModel.InfoFile)))
            {
                using var model = SegmentationModel.Load(Path.Combine(lastFolder, "train"));
                var preview = SegmentationReport.Preview(model, image, new PredictOptions(), cancel);
                var strokes = LabelImage.Read(Path.Combine(lastFolder, "labels.png"), model.Classes);
                report.ImageRow(SegmentationReport.Figures(run, $"seed{seed}-active-round{last:D2}", preview,
                    SegmentationReport.SampleLabels(strokes, preview), false),
                    $"Seed {seed}, active, {last} patch(es): image, simulated strokes, prediction, entropy");
            }
        }
        report.Save(run);
        return run.File("report.html");
    }

    /// <summary>The target class's probability (grey) with the patch grid outlined, at most 900 pixels a side.</summary>
    private static Picture Picture(string folder, SimulationOptions o, string image, PatchGrid grid, List<int> train, int[] test)
    {
        using var model = SegmentationModel.Load(Path.Combine(folder, "train"));
        using var scope = TorchRuntime.NewDisposeScope();
        var hwc = ImagePipeline.Read(image, model.Config.Gray);
        int h = (int)hwc.Shape[0], w = (int)hwc.Shape[1];
        var preview = new PredictionPreview(h, w, 900);
        var probability = new float[preview.Width * preview.Height];
        SegmentationPredictor.Stream(model, hwc, new PredictOptions(), (y, planes) =>
        {
            if (y % preview.Stride != 0) return;
            for (int px = 0; px < preview.Width; px++)
                probability[y / preview.Stride * preview.Width + px] = planes[o.TargetClass * w + px * preview.Stride];
        });
        var px = new byte[probability.Length * 3];
        for (int i = 0; i < probability.Length; i++) px[3 * i] = px[3 * i + 1] = px[3 * i
            + 2] = (byte)(255 * Math.Clamp(probability[i], 0, 1));
        var picture = new Picture(px, preview.Width, preview.Height);
        int s = preview.Stride;
        for (int c = 0; c < grid.Count; c++)
        {
            var (x0, y0, cw, ch) = grid.Rect(c);
            var colour = train.Contains(c) ? ((byte)230, (byte)30, (byte)30) : test.Contains(c) ? ((byte)40, (byte)90,
                (byte)255) : ((byte)40, (byte)170, (byte)60);
            if (!train.Contains(c) && !test.Contains(c)) continue;
            LabelColors.Rectangle(picture, x0 / s, y0 / s, cw / s, ch / s, colour);
        }
        // unused patches: a thin green grid
        for (int c = 0; c < grid.Count; c++)
        {
            if (train.Contains(c) || test.Contains(c)) continue;
            var (x0, y0, cw, ch) = grid.Rect(c);
            for (int x = x0 / s; x < (x0 + cw) / s && x < picture.Width; x++)
                Tint(picture, x, y0 / s);
            for (int y = y0 / s; y < (y0 + ch) / s && y < picture.Height; y++)
                Tint(picture, x0 / s, y);
        }
        return picture;
    }

    private static void Tint(Picture p, int x, int y)
    {
        int i = 3 * (y * p.Width + x);
        (p.Pixels[i], p.Pixels[i + 1], p.Pixels[i + 2]) = ((byte)(p.Pixels[i] / 2), (byte)(96 + p.Pixels[i + 1] / 2),
            (byte)(p.Pixels[i + 2] / 2));
    }
}
