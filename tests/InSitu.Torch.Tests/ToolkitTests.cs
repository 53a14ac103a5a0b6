using System.Text.Json;
using InSitu.Cli;
using InSitu.Models;
using InSitu.Reports;
using InSitu.Torch;
using InSitu.Training;

namespace InSitu.Torch.Tests;

public class ToolkitTests : TempFolderTest
{
    private static (Tensor x, Tensor y) Data(int n, int seed)
    {
        TorchRuntime.ManualSeed((ulong)seed);
        var y = Factory.RandInt(0, 3, new long[] { n });
        // Class-dependent mean makes the task learnable.
        var x = Factory.Randn(new long[] { n, 1, 16, 16 }).Add(y.Cast(DType.Float32).View(n, 1, 1, 1).Mul(0.5));
        return (x.DetachFromScope(), y.DetachFromScope());
    }

    private static float[] Weights(ResNet m) => m.Parameters().SelectMany(p => p.ToArray<float>()).ToArray();

    [Fact]
    public void AnInterruptedRunResumesExactly()
    {
        var (x, y) = Data(24, 1);
        var (vx, vy) = Data(8, 2);
        var cfg = new TrainingConfig { Epochs = 3, BatchSize = 8, Milestones = new[] { 2 }, Seed = 5 };
        ResNet Make()
        {
            TorchRuntime.ManualSeed(9);
            return new ResNet(ResNetConfig.Paper(1, 3, 16, 16, baseWidth: 2) with { PoolSize = 2 });
        }

        string a = Path.Combine(dir, "a"), b = Path.Combine(dir, "b");
        using (var straight = Make()) TrainingHelpers.Fit(straight, cfg, a, x, y, vx, vy);
        // the interrupted run is killed after epoch 1's checkpoint, then resumes with the same settings
        using (var first = Make())
            Assert.Throws<OperationCanceledException>(() => TrainingHelpers.Fit(first, cfg, b, x, y, vx, vy, extra: new TrainingHelpers.KillAfterEpoch(1)));
        using var resumed = Make();
        var rest = TrainingHelpers.Fit(resumed, cfg, b, x, y, vx, vy, resume: true);

        Assert.Equal(3, rest.Count);
        // the last epoch's weights and optimizer state (not just the selected best epoch) match bit for bit
        foreach (var file in new[] { "model.pt", "optimizer.pt" })
        {
            var one = Serialization.Load(Path.Combine(a, "checkpoint-0003", file));
            var two = Serialization.Load(Path.Combine(b, "checkpoint-0003", file));
            Assert.Equal(one.Keys, two.Keys);
            foreach (var key in one.Keys) Assert.Equal(one[key].Cast(DType.Float64).ToArray<double>(), two[key].Cast(DType.Float64).ToArray<double>());
        }
    }

    [Fact]
    public void ResumeWithChangedSettingsIsRefusedNamingThem()
    {
        var (x, y) = Data(8, 3);
        using var model = new ResNet(ResNetConfig.Paper(1, 3, 16, 16, baseWidth: 2) with { PoolSize = 2 });
        var cfg = new TrainingConfig { Epochs = 1, BatchSize = 4 };
        TrainingHelpers.Fit(model, cfg, Path.Combine(dir, "r"), x, y, x, y);
        var e = Assert.Throws<InvalidDataException>(() =>
            TrainingHelpers.Fit(model, cfg with { LearningRate = 0.5, Momentum = 0.5 }, Path.Combine(dir, "r"), x, y, x, y, resume: true));
        Assert.Contains("learning_rate", e.Message);
        Assert.Contains("momentum", e.Message);
        Assert.DoesNotContain("epochs", e.Message);
    }

    [Fact]
    public void CheckpointsAreOneUnitAndLeaveNoTemporaryFiles()
    {
        var (x, y) = Data(8, 3);
        using var model = new ResNet(ResNetConfig.Paper(1, 3, 16, 16, baseWidth: 2) with { PoolSize = 2 });
        var run = Path.Combine(dir, "c");
        TrainingHelpers.Fit(model, new TrainingConfig { Epochs = 2, BatchSize = 4 }, run, x, y, x, y);
        // only the newest checkpoint folder is kept, and checkpoint.json names it
        Assert.Equal(new[] { "checkpoint-0002" }, Directory.GetDirectories(run).Select(Path.GetFileName));
        Assert.True(File.Exists(Path.Combine(run, "checkpoint-0002", "model.pt")));
        Assert.Empty(Directory.GetFiles(run, "*.tmp*"));
        var progress = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "checkpoint.json")));
        Assert.Equal(2, progress.RootElement.GetProperty("completed_epochs").GetInt32());
        Assert.Equal("checkpoint-0002", progress.RootElement.GetProperty("folder").GetString());
    }

    [Fact]
    public void LoadingAnotherArchitectureSaysSo()
    {
        using var small = new ResNet(ResNetConfig.Paper(1, 3, 16, 16, baseWidth: 2) with { PoolSize = 2 });
        using var other = new ResNet(ResNetConfig.Paper(1, 3, 16, 16, baseWidth: 4) with { PoolSize = 2 });
        var path = Path.Combine(dir, "small.pt");
        small.Save(path);
        var ex = Assert.Throws<TorchException>(() => other.Load(path));
        Assert.Contains("size mismatch", ex.Message);
        Assert.Contains("another architecture", ex.Message);
        var missing = Assert.Throws<TorchException>(() => other.Load(Path.Combine(dir, "none.pt")));
        Assert.Contains("no such file", missing.Message);
        File.WriteAllText(Path.Combine(dir, "bad.pt"), "garbage");
        Assert.Contains("bad.pt", Assert.Throws<TorchException>(() => other.Load(Path.Combine(dir, "bad.pt"))).Message);
    }

    [Fact]
    public void VersionReportsEngineDeviceAndThreads()
    {
        var (code, output) = CliRunner.Run("--version");
        Assert.Equal(0, code);
        Assert.Contains("InSitu 0.1.0", output);
        Assert.Contains("libtorch 1.13", output);
        Assert.Contains("device: cpu", output);
        Assert.Contains($"threads: {Environment.ProcessorCount}", output);
    }

    [Fact]
    public void DemoSimulatesComparesAndWritesTheReport()
    {
        var outDir = Path.Combine(dir, "demo");
        File.WriteAllText(Path.Combine(dir, "tiny.json"), "{\"base_width\": 4, \"coarse\": {\"epochs\": 1, \"milestones\": [1]}, " +
            "\"fine\": {\"epochs\": 1, \"milestones\": [1]}, \"feature\": {\"epochs\": 1, \"milestones\": [1]}, \"reference_sets\": 3, \"gabor_lambdas\": [0.1]}");
        var (code, output) = CliRunner.Run("demo", "--out", outDir, "--seeds", "2", "--per-stage", "6", "--coarse-factor", "1",
            "--config", Path.Combine(dir, "tiny.json"), "--tables", Path.Combine(TestPaths.SharedData, "bdgp-annotations"));
        Assert.Equal(0, code);
        foreach (var f in new[] { "config.json", "comparison.json", "comparison.md", "report.html", "data/manifest.csv" })
            Assert.True(File.Exists(Path.Combine(outDir, f)), $"{f} missing");
        using var comparison = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "comparison.json")));
        var methods = comparison.RootElement.GetProperty("methods").EnumerateArray().ToList();
        Assert.Equal(new[] { "gabor", "plain", "data", "data+feature" }, methods.Select(m => m.GetProperty("method").GetString()));
        foreach (var m in methods)
        {
            Assert.Equal(14, m.GetProperty("per_stage_accuracy").EnumerateObject().Count());
            Assert.Equal(2, m.GetProperty("mean_per_stage_accuracy").GetProperty("by_seed").GetArrayLength());
            Assert.InRange(m.GetProperty("mean_per_stage_accuracy").GetProperty("mean").GetDouble(), 0, 1);
        }
        Assert.Contains("<svg", File.ReadAllText(Path.Combine(outDir, "report.html")));
        Assert.Contains("report.html", output);
    }

    [Fact]
    public void BadOptionsGiveAOneLineErrorNotACrash()
    {
        var (code, _) = CliRunner.Run("demo", "--out", Path.Combine(dir, "x"), "--per-stage", "2");
        Assert.Equal(1, code);
    }
}

/// <summary>Runs the `insitu` command in-process and captures what it prints.</summary>
internal static class CliRunner
{
    public static (int code, string output) Run(params string[] args)
    {
        var previous = Console.Out;
        var writer = new StringWriter();
        Console.SetOut(writer);
        try
        {
            int code = InSitu.Cli.Cli.Build().Parse(args).Invoke();
            return (code, writer.ToString());
        }
        finally
        {
            Console.SetOut(previous);
        }
    }
}
