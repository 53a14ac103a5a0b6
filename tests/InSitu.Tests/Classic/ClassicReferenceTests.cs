using InSitu.Classic;

namespace InSitu.Tests.Classic;

/// <summary>
/// The classic layer against scikit-learn (Fixtures/classic_reference.json, made by tests/fixtures/make_classic_fixtures.py):
/// L2 logistic regression fitted from the Gram matrix alone, and LASSO sparse codes.
/// </summary>
public class ClassicReferenceTests
{
    private const string File = "classic_reference.json";

    public static TheoryData<string> Logistic => FixtureCase.Names(File, n => n.StartsWith("logistic_", StringComparison.Ordinal));
    public static TheoryData<string> Lasso => FixtureCase.Names(File, n => n.StartsWith("lasso_", StringComparison.Ordinal));

    [Theory]
    [MemberData(nameof(Logistic))]
    public void GramLogisticRegressionReachesScikitLearnsOptimum(string name)
    {
        var c = FixtureCase.Load(File, name);
        using var scope = TorchRuntime.NewDisposeScope();
        var x = c.T("x");
        var y = c.T("y").Cast(DType.Float64).Unsqueeze(1);
        var mask = c.T("mask").Cast(DType.Float64).Unsqueeze(1);
        double lambda = c.Double("lambda");
        using var fit = GramLogisticRegression.Fit(x.MatMul(x.T()), y, mask, [lambda], maxIterations: 20000, tolerance: 1e-10);
        // w = X^T alpha in the span of the masked rows; the probabilities of every row follow from the kernel alone
        var w = x.T().MatMul(fit.Alpha).Flatten();
        Close.Equal(c.Floats("coef"), c.Shape("coef"), w.Cast(DType.Float32), $"{name}: coefficients", rtol: 1e-5, atol: 1e-6);
        Assert.Equal(c.Doubles("intercept")[0], fit.Bias.ToDoubleArray()[0], 5);
        var proba = fit.DecisionFunction(x.MatMul(x.T())).Sigmoid().Flatten();
        Close.Equal(c.Floats("proba"), c.Shape("proba"), proba.Cast(DType.Float32), $"{name}: probabilities", rtol: 1e-5, atol: 1e-6);
        // rows outside the mask play no part: their alpha stays zero
        var outside = fit.Alpha.Flatten().Mul(mask.Flatten().RSub(1)).Abs().Max().Item();
        Assert.Equal(0, outside);
    }

    [Theory]
    [MemberData(nameof(Lasso))]
    public void LassoCodesEqualScikitLearnsSparseEncode(string name)
    {
        var c = FixtureCase.Load(File, name);
        using var scope = TorchRuntime.NewDisposeScope();
        var codes = LassoCoder.Encode(c.T("x"), c.T("dictionary"), c.Double("alpha"), iterations: 5000);
        Close.Equal(c.Floats("codes"), c.Shape("codes"), codes.Cast(DType.Float32), $"{name}: codes", rtol: 1e-4, atol: 1e-5);
    }
}
