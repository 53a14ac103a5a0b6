using System.Text.Json;
using InSitu.Cli;
using InSitu.Models;
using InSitu.Reports;
using InSitu.Torch;
using InSitu.Training;

namespace InSitu.Tests.Training;

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
            Assert.Throws<OperationCanceledException>(() =>
                TrainingHelpers.Fit(first, cfg, b, x, y, vx, vy, extra: new TrainingHelpers.KillAfterEpoch(1)));
        using var resumed = Make();
        var rest = TrainingHelpers.Fit(resumed, cfg, b, x, y, vx, vy, resume: true);

        Assert.Equal(3, rest.Count);
        // the last epoch's weights and optimizer state (not just the selected best epoch) match bit for bit
        foreach (var file in new[] { "model.pt", "optimizer.pt" })
        {
            var one = Serialization.Load(Path.Combine(a, "checkpoint-0003", file));
            var two = Serialization.Load(Path.Combine(b, "checkpoint-0003", file));
            Assert.Equal(one.Keys, two.Keys);
            foreach (var key in one.Keys)
                Assert.Equal(one[key].Cast(DType.Float64).ToArray<double>(), two[key].Cast(DType.Float64).ToArray<double>());
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
}
