// libtorch's random generator, Console and the process's resident memory are shared: tests run one at a time (xunit.runner.json).
using System.Diagnostics;
using InSitu.Torch;
using InSitu.Torch.NN;
using InSitu.Torch.Optim;

namespace InSitu.Torch.Tests;

public class MemoryTests
{
    private static double ResidentMb()
    {
        // VmRSS from /proc: the process's real resident memory, native allocations included.
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1],
                    System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
        throw new InvalidOperationException("VmRSS not found");
    }

    [Fact]
    public void TenThousandTrainingStepsKeepFlatMemory()
    {
        using var training = new TinyTraining();
        for (int i = 0; i < 100; i++) training.Step();
        GC.Collect();
        double after100 = ResidentMb();
        var sw = Stopwatch.StartNew();
        for (int i = 100; i < 10_000; i++) training.Step();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        double after10k = ResidentMb();
        Assert.True(after10k - after100 < 50,
            $"resident memory grew from {after100:F1} MB after 100 steps to {after10k:F1} MB after 10,000 " +
            $"({sw.Elapsed.TotalSeconds:F0} s)");
    }

    /// <summary>
    /// Every training step must leave exactly as many native tensors alive as it found. The garbage collector is held
    /// off for the measured steps, so no finaliser can hide a tensor that no dispose scope released.
    /// </summary>
    [Fact]
    public void ATrainingStepLeavesNoTensorAliveWithoutTheGarbageCollector()
    {
        using var training = new TinyTraining();
        for (int i = 0; i < 3; i++) training.Step(); // Adam's state and the gradients exist from here on
        var counts = new List<long>();
        Assert.True(GC.TryStartNoGCRegion(64L << 20), "could not hold off the garbage collector");
        try
        {
            for (int i = 0; i < 50; i++)
            {
                training.Step();
                counts.Add(TorchRuntime.LiveTensors);
            }
        }
        finally
        {
            if (System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.NoGCRegion) GC.EndNoGCRegion();
        }
        Assert.True(counts.All(c => c == counts[0]), $"live tensors after each step: {string.Join(", ", counts.Distinct())}");
    }

    /// <summary>A small conv net, Adam and one fixed batch: each Step is a whole training step in its own dispose scope.</summary>
    private sealed class TinyTraining : IDisposable
    {
        private readonly Sequential _model;
        private readonly Adam _optimizer;
        private readonly Tensor _x;
        private readonly Tensor _y;

        public TinyTraining()
        {
            TorchRuntime.ManualSeed(1);
            _model = new Sequential(new Conv2d(1, 4, 3, padding: 1), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2),
                new Flatten(), new Linear(4 * 4 * 4, 3));
            _optimizer = new Adam(_model.Parameters(), 1e-3);
            _x = Factory.Randn(new long[] { 8, 1, 8, 8 }).DetachFromScope();
            _y = Tensor.FromArray(new long[] { 0, 1, 2, 0, 1, 2, 0, 1 }).DetachFromScope();
        }

        public void Step()
        {
            using var scope = TorchRuntime.NewDisposeScope();
            _optimizer.ZeroGrad();
            var loss = F.CrossEntropy(_model.Forward(_x), _y);
            loss.Backward();
            _optimizer.Step();
        }

        public void Dispose()
        {
            _x.Dispose();
            _y.Dispose();
            _optimizer.Dispose();
            _model.Dispose();
        }
    }
}
