using InSitu.Tests;

namespace InSitu.Torch.Tests;

/// <summary>The oneDNN plan's layers against the same layers run eagerly by libtorch.</summary>
public class InferencePlanTests
{
    // float32 through oneDNN differs from libtorch only in summation order
    private const double Float32Tolerance = 1e-4;

    private static double MaxRelativeDeviation(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.ToFloatArray();
        var a = actual.ToFloatArray();
        double scale = Math.Max(e.Max(v => Math.Abs((double)v)), 1e-12);
        return e.Zip(a, (x, y) => Math.Abs((double)x - y)).Max() / scale;
    }

    private static Tensor Weight(params long[] shape) =>
        Factory.Randn(shape).Mul(1.0 / Math.Sqrt(shape.Skip(1).Aggregate(1L, (p, d) => p * d)));

    [FusedPlanFact]
    public void ConvolutionsWithBiasReluResidualThenPoolingAndLinearMatchEagerLayers()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        TorchRuntime.ManualSeed(11);
        // odd sizes on purpose: channels that fill no 16-wide block, a 1x1 stride-2 layer whose right padding oneDNN sees
        // as negative, and a 10x9 grid that 2x2 pooling does not divide
        var x = Factory.Randn(new long[] { 3, 3, 19, 18 });
        var w1 = Weight(12, 3, 3, 3);
        var b1 = Factory.Randn(new long[] { 12 });
        var w2 = Weight(20, 12, 3, 3);
        var b2 = Factory.Randn(new long[] { 20 });
        var ws = Weight(20, 12, 1, 1);
        var wl = Weight(5, 20 * 5 * 4);
        var bl = Factory.Randn(new long[] { 5 });
        var y1 = F.Conv2d(x, w1, b1, padding: new long[] { 1, 1 }).Relu();
        var s = F.Conv2d(y1, ws, null, stride: new long[] { 2, 2 });
        var y2 = F.Conv2d(y1, w2, b2, stride: new long[] { 2, 2 }, padding: new long[] { 1, 1 }).Add(s).Relu();
        var p = F.MaxPool2d(y2, new long[] { 2, 2 });
        var expected = F.Linear(p.Flatten(1), wl, bl);

        foreach (var algorithm in new[] { ConvAlgorithm.Direct, ConvAlgorithm.Winograd })
        {
            using var plan = new InferencePlan(new long[] { 3, 19, 18 }, PlanPrecision.Float32, algorithm);
            int v1 = plan.Conv(InferencePlan.Input, w1, b1, (1, 1), (1, 1), relu: true);
            int vs = plan.Conv(v1, ws, null, (2, 2), (0, 0), relu: false);
            int v2 = plan.Conv(v1, w2, b2, (2, 2), (1, 1), relu: true, residual: vs);
            int vp = plan.Pool(v2, PoolKind.Max, (2, 2), (2, 2));
            plan.SetOutput(plan.Linear(vp, wl, bl));
            Assert.True(MaxRelativeDeviation(expected, plan.Run(x)) < Float32Tolerance, algorithm.ToString());
            // an intermediate value as output, and another batch size (a second compilation)
            plan.SetOutput(v2);
            Assert.True(MaxRelativeDeviation(y2.Narrow(0, 1, 2), plan.Run(x.Narrow(0, 1, 2))) < Float32Tolerance, algorithm.ToString());
        }
    }

    [FusedPlanFact]
    public void AveragePoolingCountsPaddingAsPyTorchDoesOrNot()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        TorchRuntime.ManualSeed(12);
        var x = Factory.Randn(new long[] { 2, 16, 7, 9 }).Relu();
        var w = Weight(16, 16, 1, 1);
        var y = F.Conv2d(x, w);
        using var plan = new InferencePlan(new long[] { 16, 7, 9 });
        int conv = plan.Conv(InferencePlan.Input, w, null, (1, 1), (0, 0), relu: false);
        plan.SetOutput(plan.Pool(conv, PoolKind.Average, (3, 3), (2, 2), (1, 1)));
        var withPadding = F.AvgPool2d(y, new long[] { 3, 3 }, new long[] { 2, 2 }, new long[] { 1, 1 });
        Assert.True(MaxRelativeDeviation(withPadding, plan.Run(x)) < Float32Tolerance);

        using var exclude = new InferencePlan(new long[] { 16, 7, 9 });
        conv = exclude.Conv(InferencePlan.Input, w, null, (1, 1), (0, 0), relu: false);
        exclude.SetOutput(exclude.Pool(conv, PoolKind.AverageExcludePadding, (3, 3), (2, 2), (1, 1)));
        var withoutPadding = F.AvgPool2d(y, new long[] { 3, 3 }, new long[] { 2, 2 }, new long[] { 1, 1 }, countIncludePad: false);
        Assert.True(MaxRelativeDeviation(withoutPadding, exclude.Run(x)) < Float32Tolerance);
    }

    [FusedPlanFact]
    public void LowerPrecisionsStayNearFloat32AndInt8WantsCalibrationFirst()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        TorchRuntime.ManualSeed(13);
        var x = Factory.Randn(new long[] { 4, 16, 12, 12 });
        var w1 = Weight(32, 16, 3, 3);
        var w2 = Weight(32, 32, 3, 3);
        var b = Factory.Randn(new long[] { 32 }).Mul(0.1);
        var y1 = F.Conv2d(x, w1, b, padding: new long[] { 1, 1 }).Relu();
        var expected = F.Conv2d(y1, w2, b, padding: new long[] { 1, 1 }).Add(y1).Relu();
        InferencePlan Build(PlanPrecision precision)
        {
            var plan = new InferencePlan(new long[] { 16, 12, 12 }, precision);
            int v1 = plan.Conv(InferencePlan.Input, w1, b, (1, 1), (1, 1), relu: true);
            plan.SetOutput(plan.Conv(v1, w2, b, (1, 1), (1, 1), relu: true, residual: v1));
            return plan;
        }
        using (var bf16 = Build(PlanPrecision.BFloat16))
            Assert.True(MaxRelativeDeviation(expected, bf16.Run(x)) < 2e-2);  // 8-bit mantissas, float32 accumulation
        using var int8 = Build(PlanPrecision.Int8);
        Assert.Contains("calibration", Assert.Throws<TorchException>(() => int8.Run(x)).Message);
        int8.Calibrate(x);
        // 8-bit values with per-channel weight scales: a few percent of the largest output
        Assert.True(MaxRelativeDeviation(expected, int8.Run(x)) < 5e-2);
    }

    [FusedPlanFact]
    public void MisfitsAreRefusedWithTheShapes()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        using var plan = new InferencePlan(new long[] { 3, 8, 8 });
        var ex = Assert.Throws<TorchException>(() => plan.Conv(InferencePlan.Input, Factory.Zeros(new long[] { 4, 2, 3, 3 }), null, (1, 1),
            (1, 1), relu: false));
        Assert.Contains("does not take 3 input channels", ex.Message);
        int v = plan.Conv(InferencePlan.Input, Factory.Zeros(new long[] { 4, 3, 3, 3 }), null, (1, 1), (1, 1), relu: false);
        Assert.Contains("residual's shape", Assert.Throws<TorchException>(() =>
            plan.Conv(v, Factory.Zeros(new long[] { 4, 4, 3, 3 }), null, (2, 2), (1, 1), relu: false, residual: v)).Message);
        Assert.Contains("no output", Assert.Throws<TorchException>(() => plan.Run(Factory.Zeros(new long[] { 1, 3, 8, 8 }))).Message);
        plan.SetOutput(v);
        Assert.Contains("takes float32 CPU input [N, 3, 8, 8]",
            Assert.Throws<TorchException>(() => plan.Run(Factory.Zeros(new long[] { 1, 3, 8, 9 }))).Message);
        Assert.Contains("value 7 does not exist", Assert.Throws<TorchException>(() => plan.SetOutput(7)).Message);
    }

    [Fact]
    public void AvailabilityIsReportedEitherWay()
    {
        var (available, info) = InferencePlan.Availability;
        Assert.Contains(available ? "oneDNN" : "without oneDNN", info);
    }
}
