using System.Diagnostics;
using System.Globalization;
using InSitu.Common;
using InSitu.Interpretation;
using InSitu.Models;
using InSitu.Torch;
using InSitu.Training;
using InSitu.Workflows.Stages;

/// <summary>
/// Is explaining affordable? Times, on 1,000 images in memory and the same network, plain inference (eval mode,
/// inference mode, batches of 32) next to saliency, guided backpropagation and Grad-CAM in the same batches,
/// interleaved over several rounds.
///   InSitu.Bench explain [--preset demo|paper] [--images 1000] [--out bench/results/explain.json]
/// </summary>
static class ExplainBench
{
    public static int Run(Dictionary<string, string> opts)
    {
        var config = opts.GetValueOrDefault("preset", "demo") == "paper" ? new StageConfig() : StageConfig.Demo;
        int n = int.Parse(opts.GetValueOrDefault("images", "1000"));
        TorchRuntime.ManualSeed(0);
        using var net = new ResNet(config.Network(14));
        net.Eval();
        using var x = Factory.Randn(new long[] { n, 1, config.Height, config.Width });
        var interpreter = new StageInterpreter(net, config);
        // rounds interleave the four measurements (the engine speeds up over its first calls); medians are reported
        int rounds = int.Parse(opts.GetValueOrDefault("rounds", "5"));
        var actions = new Dictionary<string, Action> { ["inference"] = () => Inference.Classify(net, x, 32) };
        foreach (var m in Enum.GetValues<AttributionMethod>()) actions[EnumNames.Name(m)] = () => interpreter.Explain(x, m);
        var times = actions.Keys.ToDictionary(k => k, _ => new List<double>());
        for (int r = 0; r < rounds; r++)
            foreach (var (name, action) in actions)
            {
                var sw = Stopwatch.StartNew();
                action();
                times[name].Add(sw.Elapsed.TotalSeconds);
            }
        double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
        double inference = Median(times["inference"]);
        var seconds = Enum.GetValues<AttributionMethod>().Select(EnumNames.Name).ToDictionary(m => m, m => Median(times[m]));
        var parts = new List<string>
        {
            FormattableString.Invariant($"\"preset\": \"{opts.GetValueOrDefault("preset", "demo")}\", \"images\": {n}, \"size\": ") +
                FormattableString.Invariant($"\"{config.Height}x{config.Width}\", \"threads\": {TorchRuntime.Threads}"),
            FormattableString.Invariant($"\"inference_seconds\": {inference:F2}"),
        };
        parts.AddRange(seconds.Select(kv =>
            FormattableString.Invariant($"\"{kv.Key}_seconds\": {kv.Value:F2}, \"{kv.Key}_over_inference\": {kv.Value / inference:F2}")));
        var json = "{" + string.Join(", ", parts) + "}";
        var outFile = opts.GetValueOrDefault("out", "bench/results/explain.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outFile))!);
        File.WriteAllText(outFile, json + "\n");
        Console.WriteLine(json);
        return 0;
    }
}
