using InSitu.Data;
using InSitu.Models;
using InSitu.Torch.NN;
using InSitu.Training;

namespace InSitu.Tests.Training;

/// <summary>The inference engine switch: which engine runs, what forces eager, and that the choice keeps predictions.</summary>
public class InferenceEngineTests
{
    private static ResNet TinyNet()
    {
        TorchRuntime.ManualSeed(31);
        var net = new ResNet(ResNetConfig.Paper(1, 5, 32, 48, baseWidth: 16));
        BatchNormStatistics.Randomise(net);
        return net;
    }

    private static TensorBatchSource Source(int n)
    {
        TorchRuntime.ManualSeed(32);
        return new TensorBatchSource(Factory.Randn(new long[] { n, 1, 32, 48 }), Factory.RandInt(0, 5, new long[] { n }), 8,
            shuffle: false);
    }

    [Fact]
    public void TheEnvironmentForcesEagerAndNothingElse()
    {
        var fused = new InferenceSettings(InferenceEngineKind.Fused);
        Assert.Equal(InferenceEngineKind.Fused, fused.EngineUnder(null));
        Assert.Equal(InferenceEngineKind.Fused, fused.EngineUnder(""));
        Assert.Equal(InferenceEngineKind.Eager, fused.EngineUnder("eager"));
        Assert.Equal(InferenceEngineKind.Eager, fused.EngineUnder("EAGER"));
        Assert.Equal("INSITU_INFERENCE='fast': set it to 'eager' to force eager inference, or leave it unset",
            Assert.Throws<ArgumentException>(() => fused.EngineUnder("fast")).Message);
        // the defaults: the fused engine where it can run, float32, Winograd for float32 only
        Assert.Equal(InferenceEngineKind.Auto, InferenceSettings.Default.Engine);
        Assert.Equal(PlanPrecision.Float32, InferenceSettings.Default.Precision);
        Assert.Equal(ConvAlgorithm.Winograd, InferenceSettings.Default.EffectiveAlgorithm);
        Assert.Equal(ConvAlgorithm.Direct, (InferenceSettings.Default with { Precision = PlanPrecision.Int8 }).EffectiveAlgorithm);
    }

    [Fact]
    public void AutoRunsTheFusedPlanWhereItCanAndEagerWhereItCannot()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        using var net = TinyNet();
        var (available, info) = InferencePlan.Availability;
        using (var auto = InferenceRunner.Create(net, InferenceSettings.Default))
        {
            Assert.Equal(available, auto.IsFused);
            Assert.Equal(available ? $"fused float32, Winograd convolutions ({info})" : $"eager ({info})", auto.Description);
        }
        using (var eager = InferenceRunner.Create(net, new InferenceSettings(InferenceEngineKind.Eager)))
            Assert.Equal("eager", eager.Description);
        // a model without a plan compiler: Auto falls back and says why, Fused refuses
        using var plain = new Sequential(new Conv2d(1, 2, 3), new Flatten());
        using (var auto = InferenceRunner.Create(plain, InferenceSettings.Default))
            Assert.Equal(available ? "eager (Sequential does not compile to a fused plan)" : $"eager ({info})", auto.Description);
        var refused = Assert.Throws<InvalidOperationException>(() =>
            InferenceRunner.Create(plain, new InferenceSettings(InferenceEngineKind.Fused)));
        Assert.StartsWith("the fused inference engine cannot run: ", refused.Message, StringComparison.Ordinal);

        var previous = Environment.GetEnvironmentVariable(InferenceSettings.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(InferenceSettings.EnvironmentVariable, "eager");
            using var forced = InferenceRunner.Create(net, new InferenceSettings(InferenceEngineKind.Fused));
            Assert.False(forced.IsFused);
        }
        finally
        {
            Environment.SetEnvironmentVariable(InferenceSettings.EnvironmentVariable, previous);
        }
    }

    [FusedPlanFact]
    public void EveryEngineAndPrecisionClassifiesASourceAsEagerDoes()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        using var net = TinyNet();
        var source = Source(20);  // 8 + 8 + 4: the last batch compiles the plan a second time
        var (eager, labels) = Inference.Classify(net, source);
        Assert.Equal(20, labels.Length);
        var (fused, _) = Inference.Classify(net, source, new InferenceSettings(InferenceEngineKind.Fused), out var engine);
        Assert.StartsWith("fused float32", engine, StringComparison.Ordinal);
        Assert.Equal(eager, fused);
        // int8 is calibrated on the source's first batches by Classify itself; it may flip near-ties, not most decisions
        var (int8, _) = Inference.Classify(net, source, new InferenceSettings(InferenceEngineKind.Fused, PlanPrecision.Int8), out engine);
        Assert.StartsWith("fused int8 calibrated on 4 batches, Direct convolutions", engine, StringComparison.Ordinal);
        Assert.True(int8.Where((p, i) => p == eager[i]).Count() >= 16, string.Join(",", int8) + " vs " + string.Join(",", eager));
        using var runner = InferenceRunner.Create(net, new InferenceSettings(InferenceEngineKind.Fused, PlanPrecision.Int8));
        Assert.True(runner.NeedsCalibration);
        var uncalibrated = Assert.Throws<InvalidOperationException>(() => runner.Forward(Factory.Zeros(new long[] { 1, 1, 32, 48 })));
        Assert.Contains("needs Calibrate", uncalibrated.Message);
    }
}
