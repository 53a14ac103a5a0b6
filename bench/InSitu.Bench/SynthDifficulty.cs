using System.Diagnostics;
using System.Globalization;
using InSitu.Data;
using InSitu.Models;
using InSitu.Reports;
using InSitu.Synthesis;
using InSitu.Torch;
using InSitu.Training;

/// <summary>
/// Is the simulator a meaningful benchmark? Trains a small CNN (the paper's 4-block ResNet, width 16, grey 64x160)
/// on 60 precisely labelled simulated images per stage (4..17) and reports its precise-stage accuracy on 40 held-out
/// images per stage after every epoch. The issue asks that it stay at or below 95%.
///   InSitu.Bench synth-difficulty [--tables DIR] [--epochs 20] [--seed 1] [--out bench/results/synth_difficulty.json]
/// </summary>
static class SynthDifficulty
{
    public static int Run(Dictionary<string, string> opts)
    {
        var tables = BdgpLabelTables.LoadOrFind(opts.GetValueOrDefault("tables"));
        int epochs = int.Parse(opts.GetValueOrDefault("epochs", "20")), seed = int.Parse(opts.GetValueOrDefault("seed", "1"));
        int perStageTrain = 60, perStageTest = 40;
        var options = new SynthOptions(36908, seed);
        var plan = DatasetSimulator.Plan(tables, options);
        var chosen = Enumerable.Range(4, 14).SelectMany(s => plan.Where(p => p.Stage == s).Take(perStageTrain + perStageTest)
            .Select((p, i) => (p, train: i < perStageTrain))).ToList();
        var watch = Stopwatch.StartNew();
        var pixels = new float[chosen.Count][];
        Parallel.For(0, chosen.Count,
            i => pixels[i] = GrayHalf(DatasetSimulator.RenderStandard(chosen[i].p, options), options.Width, options.Height));
        Console.Error.WriteLine($"rendered {chosen.Count} images in {watch.Elapsed.TotalSeconds:F1} s");
        (Tensor x, Tensor y) Stack(bool train)
        {
            var items = chosen.Select((c, i) => (c, i)).Where(t => t.c.train == train).ToList();
            var data = items.SelectMany(t => pixels[t.i]).Select(v => (v - 0.5f) / 0.25f).ToArray();
            return (Tensor.FromArray(data, items.Count, 1, 64, 160),
                Tensor.FromArray(items.Select(t => (long)(t.c.p.Stage - 4)).ToArray(), items.Count));
        }
        var (xTrain, yTrain) = Stack(true);
        var (xTest, yTest) = Stack(false);
        TorchRuntime.ManualSeed((ulong)seed);
        using var net = new ResNet(ResNetConfig.Paper(1, 14, 64, 160, baseWidth: 16));
        var config = new TrainingConfig
        {
            Epochs = epochs,
            BatchSize = 32,
            LearningRate = 0.05,
            Milestones = new[] { epochs * 3 / 4 },
            FlipHorizontal = false,
            FlipVertical = false,
            Seed = seed,
        };
        var runDir = Path.Combine(Path.GetTempPath(), $"insitu-synth-difficulty-{Environment.ProcessId}");
        var task = new ClassificationTask(net, new TensorBatchSource(xTest, yTest, 64, shuffle: false));
        var trainer = new Trainer<ImageBatch>(task, new TensorBatchSource(xTrain, yTrain, config.BatchSize, seed: seed), config,
            new RunDirectory(runDir));
        watch.Restart();
        var metrics = trainer.Fit(resume: false);
        Directory.Delete(runDir, true);
        double best = metrics.Max(m => m.Selection), last = metrics[^1].Selection;
        var outFile = opts.GetValueOrDefault("out", "bench/results/synth_difficulty.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outFile))!);
        var json = string.Create(CultureInfo.InvariantCulture,
            $"{{\"model\": \"paper ResNet width 16, grey 64x160\", \"train_per_stage\": {perStageTrain}, " +
            $"\"test_per_stage\": {perStageTest}, " +
            $"\"epochs\": {epochs}, \"seed\": {seed}, \"jitter\": {options.DevelopmentalJitter}, \"final_test_accuracy\": {last:F4}, " +
            $"\"best_epoch_test_accuracy\": {best:F4}, " +
            $"\"train_accuracy\": {metrics[^1].TrainAccuracy:F4}, \"train_seconds\": {watch.Elapsed.TotalSeconds:F0}, " +
            $"\"per_epoch_test_accuracy\": " +
            $"[{string.Join(", ", metrics.Select(m => m.Selection.ToString("F4", CultureInfo.InvariantCulture)))}]}}");
        File.WriteAllText(outFile, json + "\n");
        Console.WriteLine(json);
        return 0;
    }

    /// <summary>HxWx3 bytes to grey floats in [0, 1] at half size (2x2 mean).</summary>
    public static float[] GrayHalf(byte[] px, int w, int h)
    {
        var g = new float[(h / 2) * (w / 2)];
        for (int y = 0; y < h / 2; y++)
            for (int x = 0; x < w / 2; x++)
            {
                float s = 0;
                for (int dy = 0; dy < 2; dy++)
                    for (int dx = 0; dx < 2; dx++)
                    {
                        int i = ((2 * y + dy) * w + 2 * x + dx) * 3;
                        s += 0.299f * px[i] + 0.587f * px[i + 1] + 0.114f * px[i + 2];
                    }
                g[y * (w / 2) + x] = s / (4 * 255f);
            }
        return g;
    }
}
