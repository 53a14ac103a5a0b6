using InSitu.Torch.NN;

namespace InSitu.Torch.Tests;

/// <summary>The generic conv+BN folding pass over a module tree.</summary>
public class BatchNormFoldTests
{
    private static void AssertClose(float[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"element {i}: {actual[i]} instead of {expected[i]}");
    }

    [Fact]
    public void FoldingASequentialKeepsItsOutputsAndLeavesNoBatchNorm()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        TorchRuntime.ManualSeed(4);
        using var model = new Sequential(new Conv2d(3, 8, 3, padding: 1), new BatchNorm2d(8), new ReLU());
        BatchNormStatistics.Randomise(model);
        model.Eval();
        var x = Factory.Randn(new long[] { 2, 3, 9, 7 });
        var reference = model.Forward(x).ToFloatArray();

        Assert.Equal(1, Fusion.FoldBatchNorms(model));
        Assert.IsType<Conv2d>(model[0]);
        Assert.IsType<Identity>(model[1]);
        Assert.DoesNotContain(model.NamedModules(), m => m.module is BatchNorm2d);
        AssertClose(reference, model.Forward(x).ToFloatArray(), 1e-4);
        Assert.Equal(0, Fusion.FoldBatchNorms(model));
    }

    [Fact]
    public void FoldingFindsPairsInNestedModulesAndOnlyWhereTheBatchNormFollowsAConvolution()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        TorchRuntime.ManualSeed(5);
        var alone = new BatchNorm2d(4);
        using var model = new Sequential(
            new Sequential(new Conv2d(2, 4, 3, padding: 1, bias: false), new BatchNorm2d(4)),
            new ReLU(),
            alone,                                    // follows a ReLU: not foldable
            new Conv2d(4, 5, 1), new BatchNorm2d(5));
        BatchNormStatistics.Randomise(model);
        model.Eval();
        var x = Factory.Randn(new long[] { 3, 2, 6, 6 });
        var reference = model.Forward(x).ToFloatArray();

        Assert.Equal(2, Fusion.FoldBatchNorms(model));
        Assert.Same(alone, model[2]);
        Assert.Single(model.NamedModules(), m => m.module is BatchNorm2d);
        AssertClose(reference, model.Forward(x).ToFloatArray(), 1e-4);
    }

    [Fact]
    public void FoldingNeedsEvalModeAndChangesNothingOtherwise()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        using var model = new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2));
        var ex = Assert.Throws<InvalidOperationException>(() => Fusion.FoldBatchNorms(model));
        Assert.Contains("'1'", ex.Message);
        Assert.IsType<BatchNorm2d>(model[1]);
    }
}
