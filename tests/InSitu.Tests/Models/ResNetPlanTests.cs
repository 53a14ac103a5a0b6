using InSitu.Models;
using InSitu.Torch.NN;

namespace InSitu.Tests.Models;

/// <summary>
/// A ResNet compiled into a fused oneDNN plan computes the eager eval-mode network: both configurations, tiny widths,
/// random weights and non-trivial batch-norm statistics (so a wrongly folded one shows).
/// </summary>
public class ResNetPlanTests
{
    // Tolerances, relative to the largest eager logit: float32 differs only in summation order and Winograd's
    // transforms (measured 2-3e-7); bfloat16 keeps 8 mantissa bits per activation and weight with float32
    // accumulation (measured 2e-3 to 8e-3); int8 keeps 8 bits per value with scales calibrated on other batches
    // (measured 4e-3 to 2e-2).
    private const double Float32Tolerance = 1e-5, BFloat16Tolerance = 3e-2, Int8Tolerance = 0.1;

    public static TheoryData<string> Configs => new() { "paper", "resnet18" };

    private static ResNet Tiny(string config, int seed)
    {
        TorchRuntime.ManualSeed((ulong)seed);
        var net = new ResNet(config == "paper"
            ? ResNetConfig.Paper(1, 7, 32, 80, baseWidth: 16)
            : ResNetConfig.CifarResNet18(3, 7, 32, 48, baseWidth: 8));
        BatchNormStatistics.Randomise(net);
        net.Eval();
        return net;
    }

    private static Tensor Images(ResNet net, int n) =>
        Factory.Randn(new long[] { n, net.Config.InChannels, net.Config.Height, net.Config.Width });

    private static (double deviation, int agree, int decided) Compare(float[] eager, float[] fused, int classes, double tolerance)
    {
        double scale = eager.Max(v => Math.Abs((double)v));
        double deviation = eager.Zip(fused, (a, b) => Math.Abs((double)a - b)).Max() / scale;
        int agree = 0, decided = 0;
        for (int i = 0; i < eager.Length / classes; i++)
        {
            var e = eager.AsSpan(i * classes, classes).ToArray();
            var f = fused.AsSpan(i * classes, classes).ToArray();
            var sorted = e.OrderDescending().ToArray();
            // the arg max must agree wherever eager's margin exceeds what the precision may move two logits by
            if (sorted[0] - sorted[1] <= 2 * tolerance * scale) continue;
            decided++;
            if (Array.IndexOf(e, e.Max()) == Array.IndexOf(f, f.Max())) agree++;
        }
        return (deviation, agree, decided);
    }

    [FusedPlanTheory]
    [MemberData(nameof(Configs))]
    public void Float32PlansGiveTheEagerLogits(string config)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        using var net = Tiny(config, 21);
        var x = Images(net, 5);
        float[] eager;
        using (Autograd.InferenceMode()) eager = net.Forward(x).ToFloatArray();
        foreach (var algorithm in new[] { ConvAlgorithm.Winograd, ConvAlgorithm.Direct })
        {
            using var plan = net.CompilePlan(PlanPrecision.Float32, algorithm);
            var (deviation, agree, decided) = Compare(eager, plan.Run(x).ToFloatArray(), 7, Float32Tolerance);
            Assert.True(deviation < Float32Tolerance, $"{algorithm}: deviation {deviation:E2}");
            Assert.Equal(decided, agree);
        }
        // compiling the folded model gives the same plan
        float[] unfolded;
        using (var plan = net.CompilePlan(PlanPrecision.Float32, ConvAlgorithm.Direct)) unfolded = plan.Run(x).ToFloatArray();
        net.FuseForInference();
        using (var plan = net.CompilePlan(PlanPrecision.Float32, ConvAlgorithm.Direct))
            Assert.True(Compare(unfolded, plan.Run(x).ToFloatArray(), 7, Float32Tolerance).deviation < 1e-5);
    }

    [FusedPlanTheory]
    [MemberData(nameof(Configs))]
    public void BFloat16AndInt8PlansStayCloseAndAgreeOnClearDecisions(string config)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        using var net = Tiny(config, 22);
        var x = Images(net, 16);
        float[] eager;
        using (Autograd.InferenceMode()) eager = net.Forward(x).ToFloatArray();
        using (var bf16 = net.CompilePlan(PlanPrecision.BFloat16, ConvAlgorithm.Direct))
        {
            var (deviation, agree, decided) = Compare(eager, bf16.Run(x).ToFloatArray(), 7, BFloat16Tolerance);
            Assert.True(deviation < BFloat16Tolerance, $"bf16: deviation {deviation:E2}");
            Assert.Equal(decided, agree);
        }
        using (var int8 = net.CompilePlan(PlanPrecision.Int8, ConvAlgorithm.Direct))
        {
            for (int i = 0; i < 3; i++) int8.Calibrate(Images(net, 16));
            var (deviation, agree, decided) = Compare(eager, int8.Run(x).ToFloatArray(), 7, Int8Tolerance);
            Assert.True(deviation < Int8Tolerance, $"int8: deviation {deviation:E2}");
            Assert.Equal(decided, agree);
        }
    }

    [Fact]
    public void ATrainingModeModelIsRefused()
    {
        using var net = new ResNet(ResNetConfig.Paper(1, 3, 32, 32, baseWidth: 4));
        Assert.Contains("eval mode", Assert.Throws<InvalidOperationException>(() =>
            net.CompilePlan(PlanPrecision.Float32, ConvAlgorithm.Direct)).Message);
    }
}
