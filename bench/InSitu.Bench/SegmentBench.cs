using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using InSitu.Common;
using InSitu.Data;
using InSitu.Evaluation;
using InSitu.Reports;
using InSitu.Torch;
using InSitu.Workflows.Segmentation;

/// <summary>
/// Segmentation benchmarks (METHODS.md §6), all through the workflow's services:
///   segment-probe  --image I --truth T [--class-map 0,1,0] [--patches 15] [--fraction 0.3] [--seed 1] [--config c.json] [--out DIR]
///                  one training on strokes in N random patch cells (the working image is the simulation's data/image.png),
///                  IoU on the unused cells: a quick look at what N patches give, without the rounds of `segment simulate`.
///   segment-discs  [--data ../shared/data/imaginal-discs] [--fraction 0.05] [--strokes scribbles|cores] [--config c.json]
///                  [--out DIR] [--folds 10]
///                  leave-one-image-out on the real imaginal discs: strokes (5% of pixels; random brush scribbles inside each
///                  class, or each area's core) against full labels; IoU of tissue and stain on the held-out image. Writes
///                  bench/results/segment_discs.json.
///   segment-embryo [--data ../shared/data/bdgp-raw-photos] [--fraction 0.05] [--config c.json] [--out DIR]
///                  leave-one-photo-out on the real raw BDGP photos: main embryo against the rest (mask dark = embryo).
/// </summary>
internal static class SegmentBench
{
    public static int Probe(Dictionary<string, string> o)
    {
        var watch = Stopwatch.StartNew();
        var config = Config(o, SegmentationConfig.Demo) with { Scale = 1 };
        using var scope = TorchRuntime.NewDisposeScope();
        var truth = LabelImage.Read(o["truth"], 256, null, 256);
        if (o.TryGetValue("class-map", out var m))
        {
            var map = m.Split(',').Select(int.Parse).ToArray();
            for (int i = 0; i < truth.Labels.Length; i++) truth.Labels[i] = map[truth.Labels[i]];
        }
        int w = truth.Width, h = truth.Height, n = int.Parse(o.GetValueOrDefault("patches", "15"), CultureInfo.InvariantCulture);
        double fraction = double.Parse(o.GetValueOrDefault("fraction", "0.3"), CultureInfo.InvariantCulture);
        int seed = int.Parse(o.GetValueOrDefault("seed", "1"), CultureInfo.InvariantCulture);
        var grid = new PatchGrid(h, w, config.PatchSize);
        var r = new SeededRandom((ulong)seed);
        var order = Enumerable.Range(0, grid.Count).OrderBy(_ => r.NextUInt()).ToList();
        var train = order.Take(n).ToList();
        var test = order.Skip(n).Take(2).ToList();
        var outDir = o.GetValueOrDefault("out", Path.Combine(Path.GetTempPath(), "segment-probe"));
        Directory.CreateDirectory(outDir);
        string Write(string name, IEnumerable<int> cells)
        {
            var labels = Enumerable.Repeat(255, w * h).ToArray();
            foreach (var c in cells) StrokeSimulator.Annotate(truth.Labels, w, h, grid.Rect(c), fraction, labels, 255);
            var path = Path.Combine(outDir, name);
            SegmentationData.WriteLabels(path, labels, w, h);
            return path;
        }
        var result = SegmentationTraining.Train(new SegmentationTrainRequest
        {
            Pairs = [new PatchPair(o["image"], Write("train.png", train))],
            Validation = [new PatchPair(o["image"], Write("test.png", test))],
            OutDir = Path.Combine(outDir, "run"),
            Config = config,
            Seed = seed,
            Report = false,
        });
        using var model = SegmentationModel.Load(result.RunDir);
        var unused = Enumerable.Range(0, grid.Count).Except(train).Except(test).ToHashSet();
        var confusion = new ConfusionMatrix(model.Classes);
        var hwc = SegmentationPredictor.ReadImage(model, o["image"]);
        SegmentationPredictor.Stream(model, hwc, new PredictOptions(), (y, planes) =>
        {
            var p = new List<long>();
            var t = new List<long>();
            for (int x = 0; x < w; x++)
                if (grid.At(y, x) is var c && c >= 0 && unused.Contains(c))
                {
                    p.Add(SegmentationPredictor.ArgMax(planes, model.Classes, w, x));
                    t.Add(truth.Labels[y * w + x]);
                }
            confusion.Add(p.ToArray(), t.ToArray());
        });
        var s = Overlap.PerClass(confusion);
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            patches = n,
            fraction,
            seed,
            iou = s.IoU,
            dice = s.Dice,
            epochs = result.History.Count,
            best_epoch = result.BestEpoch,
            seconds = Math.Round(watch.Elapsed.TotalSeconds, 1),
        }));
        return 0;
    }

    /// <summary>Leave-one-image-out over real images with full masks: strokes against full labels, per fold and over folds.</summary>
    private static int LeaveOneOut(Dictionary<string, string> o, string name, List<(string Image, int[] Truth, int Height, int Width)> data,
        string[] classNames, SegmentationConfig config, Func<double[], Dictionary<string, double>> headline)
    {
        var watch = Stopwatch.StartNew();
        double fraction = double.Parse(o.GetValueOrDefault("fraction", "0.05"), CultureInfo.InvariantCulture);
        int folds = Math.Min(data.Count, int.Parse(o.GetValueOrDefault("folds", data.Count.ToString(CultureInfo.InvariantCulture)),
            CultureInfo.InvariantCulture));
        var outDir = o.GetValueOrDefault("out", Path.Combine(Path.GetTempPath(), name));
        var labelDir = Path.Combine(outDir, "labels");
        Directory.CreateDirectory(labelDir);
        var strokes = new List<string>();
        var full = new List<string>();
        var annotated = new List<double>();
        foreach (var (image, truth, h, w) in data)
        {
            var stem = Path.GetFileNameWithoutExtension(image);
            var labels = Enumerable.Repeat(255, truth.Length).ToArray();
            if (o.GetValueOrDefault("strokes", "scribbles") == "cores")
                StrokeSimulator.Annotate(truth, w, h, (0, 0, w, h), fraction, labels, 255);
            else StrokeSimulator.Scribble(truth, w, h, (0, 0, w, h), fraction, labels, 255, seed: 1);
            annotated.Add(labels.Count(v => v != 255) / (double)labels.Length);
            strokes.Add(Path.Combine(labelDir, stem + ".strokes.png"));
            SegmentationData.WriteLabels(strokes[^1], labels, w, h);
            full.Add(Path.Combine(labelDir, stem + ".full.png"));
            SegmentationData.WriteLabels(full[^1], truth, w, h);
        }
        var results = new List<object>();
        var perMode = new Dictionary<string, List<Dictionary<string, double>>> { ["strokes"] = new(), ["full"] = new() };
        for (int fold = 0; fold < folds; fold++)
        {
            foreach (var (mode, labels) in new[] { ("strokes", strokes), ("full", full) })
            {
                var train = Enumerable.Range(0, data.Count).Where(i => i != fold)
                    .Select(i => new PatchPair(data[i].Image, labels[i])).ToList();
                var run = Path.Combine(outDir, $"fold-{fold + 1:D2}", mode);
                var trained = SegmentationTraining.Train(new SegmentationTrainRequest
                {
                    Pairs = train,
                    OutDir = run,
                    Config = config,
                    Seed = fold + 1,
                    Report = false,
                    Resume = true,
                });
                var eval = SegmentationEvaluator.Evaluate(trained.RunDir, [new PatchPair(data[fold].Image, full[fold])],
                    Path.Combine(run, "eval"));
                var scores = headline(eval.Iou);
                perMode[mode].Add(scores);
                results.Add(new
                {
                    fold = fold + 1,
                    image = Path.GetFileName(data[fold].Image),
                    mode,
                    iou = eval.Iou,
                    dice = eval.Dice,
                    scores,
                    epochs = trained.History.Count,
                    seconds = Math.Round(trained.Seconds, 1)
                });
                Console.WriteLine($"fold {fold + 1} {mode}: " + string.Join(", ", scores.Select(kv =>
                    string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:F3}"))));
            }
        }
        var json = JsonSettings.Serialize(new
        {
            benchmark = name,
            classes = classNames,
            stroke_fraction = fraction,
            annotated_share = annotated.Average(),
            folds,
            config,
            summary = perMode.ToDictionary(m => m.Key, m => m.Value.Count == 0 ? null : m.Value[0].Keys.ToDictionary(k => k,
                k => new { mean = MeanStd.Of(m.Value.Select(v => v[k])).Mean, std = MeanStd.Of(m.Value.Select(v => v[k])).Std })),
            results,
            seconds = Math.Round(watch.Elapsed.TotalSeconds),
            machine = "2 shared cores, loaded by other jobs",
        });
        var resultFile = o.GetValueOrDefault("result", Path.Combine("bench", "results", name + ".json"));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(resultFile))!);
        File.WriteAllText(resultFile, json);
        Console.WriteLine(json[..Math.Min(json.Length, 1500)]);
        return 0;
    }

    public static int Discs(Dictionary<string, string> o)
    {
        var folder = o.GetValueOrDefault("data", Path.Combine("..", "shared", "data", "imaginal-discs"));
        var data = new List<(string, int[], int, int)>();
        foreach (var image in Directory.EnumerateFiles(Path.Combine(folder, "image"), "*.png").Order(StringComparer.Ordinal))
        {
            var truth = LabelImage.Read(Path.Combine(folder, "segm", Path.GetFileName(image)), 3);
            data.Add((Path.GetFullPath(image), truth.Labels, truth.Height, truth.Width));
        }
        var config = Config(o, SegmentationConfig.Demo with { Gray = false, Scale = 0.5f });
        return LeaveOneOut(o, "segment_discs", data, ["background", "disc tissue", "stain"], config, iou => new Dictionary<string, double>
        {
            ["iou_tissue"] = iou[1],
            ["iou_stain"] = iou[2],
            ["iou_background"] = iou[0],
        });
    }

    public static int Embryo(Dictionary<string, string> o)
    {
        var folder = o.GetValueOrDefault("data", Path.Combine("..", "shared", "data", "bdgp-raw-photos"));
        var data = new List<(string, int[], int, int)>();
        for (int i = 1; File.Exists(Path.Combine(folder, $"mask{i}.png")); i++)
        {
            using var scope = TorchRuntime.NewDisposeScope();
            var mask = ImageIO.Read(Path.Combine(folder, $"mask{i}.png"), ImageMode.Gray);
            int h = (int)mask.Shape[0], w = (int)mask.Shape[1];
            // dark = main embryo (hand-drawn polygons with JPEG-like noise near edges: threshold at 128)
            var truth = mask.Cast(DType.Int32).ToArray<int>().Select(v => v < 128 ? 1 : 0).ToArray();
            data.Add((Path.GetFullPath(Path.Combine(folder, $"photo{i}.jpg")), truth, h, w));
        }
        var config = Config(o, SegmentationConfig.Demo with { Gray = false, Scale = 0.25f });
        return LeaveOneOut(o, "segment_embryo", data, ["rest", "main embryo"], config, iou => new Dictionary<string, double>
        {
            ["iou_embryo"] = iou[1],
            ["iou_rest"] = iou[0],
        });
    }

    private static SegmentationConfig Config(Dictionary<string, string> o, SegmentationConfig baseline) =>
        o.TryGetValue("config", out var file) ? SegmentationConfig.Load(file, baseline) : baseline;
}
