using InSitu.Torch;
using InSitu.Workflows.Stages;

namespace InSitu.Tests.Workflows.Stages;

/// <summary>L_S (METHODS.md section 1, Eq. 4-6) against PyTorch: the value and the gradients for the features and the references.</summary>
public class SimilarityLossTests
{
    public static TheoryData<string> Cases => FixtureCase.Names("losses.json", n => n.StartsWith("similarity", StringComparison.Ordinal));

    [Theory]
    [MemberData(nameof(Cases))]
    public void SimilarityLossMatchesPyTorch(string name)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var c = FixtureCase.Load("losses.json", name);
        var x = c.Leaf("x");
        var refs = c.Leaf("refs");
        var loss = SimilarityLoss.Compute(x, refs, c.T("target"));
        Close.Equal(c, "out", loss);
        loss.Backward();
        Close.Equal(c, "grad.x", x.Grad);
        Close.Equal(c, "grad.refs", refs.Grad);
    }
}
