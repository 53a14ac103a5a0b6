using InSitu.Models;
using InSitu.Torch.NN;
using InSitu.Torch.Optim;

namespace InSitu.Tests.Models;

/// <summary>ResNet's inference paths (BN folding, channels-last) give the outputs of the plain eval-mode network.</summary>
public class ResNetInferenceTests
{
    [Fact]
    public void ChannelsLastAndBatchNormFoldingKeepOutputs()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        TorchRuntime.ManualSeed(5);
        using var model = new ResNet(ResNetConfig.Paper(1, 3, 32, 32, baseWidth: 4));
        // A few training steps give BN non-trivial running statistics.
        var opt = new SGD(model.Parameters(), 0.1);
        for (int i = 0; i < 3; i++)
        {
            using var step = TorchRuntime.NewDisposeScope();
            model.ZeroGrad();
            F.CrossEntropy(model.Forward(Factory.Randn(new long[] { 4, 1, 32, 32 })), Tensor.FromArray(new long[] { 0, 1, 2, 1 }))
                .Backward();
            opt.Step();
        }
        model.Eval();
        var x = Factory.Randn(new long[] { 2, 1, 32, 32 });
        var reference = model.Forward(x).ToArray<float>();
        model.FuseForInference();
        model.ToChannelsLast();
        using (Autograd.InferenceMode())
        {
            var fused = model.Forward(x.Contiguous(MemoryFormat.ChannelsLast)).ToArray<float>();
            for (int i = 0; i < fused.Length; i++) Assert.Equal(reference[i], fused[i], 3);
        }
        Assert.DoesNotContain(model.NamedModules(), m => m.module is BatchNorm2d);
    }

    [Fact]
    public void FoldingAResNetKeepsItsOutputsAndItsStateDictLosesOnlyTheBatchNorms()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        using var net = Interpretation.InterpretationHookTests.TinyResNet(6);
        var x = Factory.Randn(new long[] { 2, 1, 32, 32 });
        var reference = net.Forward(x).ToFloatArray();
        var keys = net.StateDict().Select(e => e.name).ToList();
        int batchNorms = net.NamedModules().Count(m => m.module is BatchNorm2d);

        net.FuseForInference();
        Assert.DoesNotContain(net.NamedModules(), m => m.module is BatchNorm2d);
        Assert.Equal(1 + 2 * 4 + 3, batchNorms);  // stem, two per block, the three projection shortcuts
        AssertClose(reference, net.Forward(x).ToFloatArray(), 1e-4);
        // the folded convolutions gained a bias; every other key is unchanged
        var folded = net.StateDict().Select(e => e.name).ToList();
        Assert.Equal(keys.Where(k => !k.Contains("bn") && !k.Contains("shortcut.1.")),
            folded.Where(k => !k.EndsWith(".bias", StringComparison.Ordinal) || k.StartsWith("linear", StringComparison.Ordinal)));
    }

    private static void AssertClose(float[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"element {i}: {actual[i]} instead of {expected[i]}");
    }
}
