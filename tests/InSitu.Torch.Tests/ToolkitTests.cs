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

        using var straight = Make();
        var full = new ClassifierTrainer(straight, cfg, new RunDirectory(Path.Combine(dir, "a"))).Fit(x, y, vx, vy, resume: false);

        var runB = new RunDirectory(Path.Combine(dir, "b"));
        using (var first = Make())
            new ClassifierTrainer(first, cfg with { Epochs = 1 }, runB).Fit(x, y, vx, vy, resume: false);
        using var resumed = Make();
        var rest = new ClassifierTrainer(resumed, cfg, runB).Fit(x, y, vx, vy, resume: true);

        Assert.Equal(3, rest.Count);
        var a = Weights(straight);
        var b = Weights(resumed);
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 5);
        Assert.Equal(full[^1].TrainLoss, rest[^1].TrainLoss, 5);
    }

    [Fact]
    public void CheckpointsAreReadableByTheirNamesAndLeaveNoTemporaryFiles()
    {
        var (x, y) = Data(8, 3);
        using var model = new ResNet(ResNetConfig.Paper(1, 3, 16, 16, baseWidth: 2) with { PoolSize = 2 });
        var run = new RunDirectory(Path.Combine(dir, "c"));
        new ClassifierTrainer(model, new TrainingConfig { Epochs = 1, BatchSize = 4 }, run).Fit(x, y, x, y, resume: false);
        Assert.True(File.Exists(run.File("checkpoint_model.pt")));
        Assert.Empty(Directory.GetFiles(run.Path, "*.tmp"));
        var progress = JsonDocument.Parse(File.ReadAllText(run.File("checkpoint.json")));
        Assert.Equal(1, progress.RootElement.GetProperty("completed_epochs").GetInt32());
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
