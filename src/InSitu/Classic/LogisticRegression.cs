using InSitu.Torch;
using InSitu.Torch.NN;
using InSitu.Torch.Optim;

namespace InSitu.Classic;

/// <summary>
/// L2-regularised multinomial logistic regression: minimise mean cross-entropy + (lambda / 2) ||W||^2 (bias not
/// penalised) over standardised features, full batch. The problem is convex, so Adam run to a small gradient finds
/// the same optimum as any other solver; lambda = 1 / (C n) in scikit-learn's terms.
/// </summary>
public sealed class LogisticRegression : IDisposable
{
    private Tensor? _weight, _bias, _mean, _std;

    public double Lambda { get; }
    public int Classes { get; }

    public LogisticRegression(int classes, double lambda)
    {
        if (lambda < 0) throw new ArgumentException("lambda must be >= 0");
        (Classes, Lambda) = (classes, lambda);
    }

    public void Fit(Tensor features, Tensor labels, int iterations = 600, double learningRate = 0.05)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        long n = features.Size(0), d = features.Size(1);
        var mean = features.Mean(0, keepDim: true);
        var std = features.Sub(mean).Pow(2).Mean(0, keepDim: true).Sqrt().Add(1e-6);
        var x = features.Sub(mean).Div(std);
        var w = new Parameter(Factory.Zeros(new[] { d, (long)Classes }));
        var b = new Parameter(Factory.Zeros(new[] { (long)Classes }));
        using (var opt = new Adam(new[] { w, b }, learningRate))
            for (int i = 0; i < iterations; i++)
            {
                using var step = TorchRuntime.NewDisposeScope();
                opt.ZeroGrad();
                var loss = F.CrossEntropy(x.MatMul(w).Add(b), labels).Add(w.Pow(2).Sum().Mul(Lambda / 2));
                loss.Backward();
                opt.Step();
            }
        Dispose();
        _weight = scope.MoveToOuter(w.Detach());
        _bias = scope.MoveToOuter(b.Detach());
        _mean = scope.MoveToOuter(mean);
        _std = scope.MoveToOuter(std);
    }

    /// <summary>Class probabilities, N x classes.</summary>
    public Tensor PredictProba(Tensor features)
    {
        if (_weight is null) throw new InvalidOperationException("the logistic regression has not been fitted");
        using var scope = TorchRuntime.NewDisposeScope();
        using var _ = Autograd.NoGrad();
        var logits = features.Sub(_mean!).Div(_std!).MatMul(_weight).Add(_bias!);
        return scope.MoveToOuter(logits.Softmax(1));
    }

    public long[] Predict(Tensor features)
    {
        using var p = PredictProba(features);
        using var a = p.ArgMax(1);
        return a.ToLongArray();
    }

    public void Dispose()
    {
        _weight?.Dispose(); _bias?.Dispose(); _mean?.Dispose(); _std?.Dispose();
        _weight = _bias = _mean = _std = null;
    }
}
