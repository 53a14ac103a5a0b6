using InSitu.Torch;

namespace InSitu.Classic;

/// <summary>
/// Many binary L2-regularised logistic regressions, fitted together on one Gram matrix K = X X^T of the training
/// vectors. Model m sees only the rows its mask selects (an undersampled ensemble member, a cross-validation fold) and
/// minimises
/// <code>(1 / n_m) sum_{i in S_m} BCE(x_i . w_m + b_m, y_im) + (lambda_m / 2) ||w_m||^2</code>
/// (the bias is not penalised; scikit-learn's C = 1 / (lambda_m n_m)). By the representer theorem w_m = X^T alpha_m, so
/// everything runs on K: the logits of all models are K A + b, one matrix product per iteration for all of them,
/// whatever the feature dimension (the paper's 401,408 VGG features included). Gradient steps in alpha with the
/// gradient r + lambda alpha are exactly gradient steps in w; they are accelerated (FISTA with gradient-based
/// restart) with a per-model step 1 / L_m, L_m = lambda_max([X_S 1]^T [X_S 1]) / (4 n_m) + lambda_m (the largest
/// eigenvalue by power iteration, with a safety margin). Double precision throughout.
/// </summary>
public sealed class GramLogisticRegression : IDisposable
{
    private GramLogisticRegression(Tensor alpha, Tensor bias, int iterations, double gradientNorm)
    {
        (Alpha, Bias, Iterations, GradientNorm) = (alpha, bias, iterations, gradientNorm);
    }

    /// <summary>N x M: the weight vectors in the span of the training rows, w_m = X^T alpha_m (zero outside S_m).</summary>
    public Tensor Alpha { get; }

    /// <summary>M intercepts.</summary>
    public Tensor Bias { get; }

    public int Iterations { get; }

    /// <summary>The largest gradient norm over the models when fitting stopped.</summary>
    public double GradientNorm { get; }

    public long Models => Alpha.Size(1);

    /// <param name="gram">N x N Gram matrix of the training vectors.</param>
    /// <param name="targets">N x M, 0 or 1: the label of each row for each model.</param>
    /// <param name="mask">N x M, 0 or 1: which rows each model is trained on; each model needs both classes among them.</param>
    /// <param name="lambdas">One L2 strength per model, positive.</param>
    public static GramLogisticRegression Fit(Tensor gram, Tensor targets, Tensor mask, IReadOnlyList<double> lambdas,
        int maxIterations = 1000, double tolerance = 1e-6)
    {
        long n = gram.Size(0), m = targets.Size(1);
        if (gram.Shape.Length != 2 || gram.Size(1) != n)
            throw new ArgumentException($"the Gram matrix must be square, got {Tensor.FormatShape(gram.Shape)}");
        if (targets.Size(0) != n || !mask.Shape.SequenceEqual(targets.Shape))
            throw new ArgumentException($"targets {Tensor.FormatShape(targets.Shape)} and mask {Tensor.FormatShape(mask.Shape)} " +
                $"must both be {n} x models");
        if (lambdas.Count != m) throw new ArgumentException($"{lambdas.Count} regularisation strengths for {m} models");
        if (lambdas.Any(l => !(l > 0) || !double.IsFinite(l))) throw new ArgumentException("every lambda must be positive");

        using var scope = TorchRuntime.NewDisposeScope();
        using var noGrad = Autograd.NoGrad();
        var k = gram.Cast(DType.Float64);
        var t = targets.Cast(DType.Float64);
        var s = mask.Cast(DType.Float64);
        var counts = s.Sum([0]);
        var positives = s.Mul(t).Sum([0]);
        var countValues = counts.ToDoubleArray();
        var positiveValues = positives.ToDoubleArray();
        for (int j = 0; j < m; j++)
            if (positiveValues[j] < 1 || positiveValues[j] > countValues[j] - 1)
                throw new ArgumentException($"model {j} has {positiveValues[j]} positive and {countValues[j] - positiveValues[j]} " +
                    "negative training rows; logistic regression needs both classes");
        var weights = s.Div(counts);
        var lambda = Tensor.FromArray(lambdas.ToArray(), m);
        var step = LargestEigenvalue(k, s).Mul(1.2).Div(counts.Mul(4)).Add(lambda).Reciprocal();

        // the intercept starts at the log-odds of each model's rows, the optimum without features
        var rate = positives.Div(counts);
        // the iterates live outside every scope and are freed as they are replaced, so memory stays flat
        var x = new Iterate(Factory.Zeros(new[] { n, m }, DType.Float64), Factory.Zeros(new[] { n, m }, DType.Float64),
            rate.Div(rate.RSub(1)).Log());
        var previous = x.Copy();
        var tk = Factory.Ones(new[] { m }, DType.Float64).DetachFromScope();
        int iteration = 0;
        double worst = double.PositiveInfinity;
        try
        {
            while (iteration < maxIterations && worst >= tolerance)
            {
                iteration++;
                using var inner = TorchRuntime.NewDisposeScope();
                var tNext = tk.Square().Mul(4).Add(1).Sqrt().Add(1).Div(2);
                var beta = tk.Sub(1).Div(tNext);
                var ya = x.Alpha.Add(x.Alpha.Sub(previous.Alpha).Mul(beta));
                var yu = x.U.Add(x.U.Sub(previous.U).Mul(beta));
                var yb = x.B.Add(x.B.Sub(previous.B).Mul(beta));
                var r = yu.Add(yb).Sigmoid().Sub(t).Mul(weights);
                var ga = r.Add(ya.Mul(lambda));
                var gb = r.Sum([0]);
                var kg = k.MatMul(ga);
                var next = new Iterate(ya.Sub(ga.Mul(step)), yu.Sub(kg.Mul(step)), yb.Sub(gb.Mul(step)));
                if (iteration % 100 == 0)
                {
                    // no drift in K alpha from the incremental updates
                    var fresh = k.MatMul(next.Alpha).DetachFromScope();
                    next.U.Dispose();
                    next = next with { U = fresh };
                }
                // restart the momentum of a model whose step went against its gradient (O'Donoghue and Candes)
                var restart = kg.Mul(next.Alpha.Sub(x.Alpha)).Sum([0]).Add(gb.Mul(next.B.Sub(x.B))).Gt(0);
                worst = kg.Mul(ga).Sum([0]).Add(gb.Square()).ClampMin(0).Sqrt().Max().Item();
                var tNew = Tensor.Where(restart, Factory.OnesLike(tNext), tNext).DetachFromScope();
                tk.Dispose();
                tk = tNew;
                previous.Dispose();
                (previous, x) = (x, next);
            }
            return new GramLogisticRegression(scope.MoveToOuter(x.Alpha.Alias()), scope.MoveToOuter(x.B.Alias()), iteration, worst);
        }
        finally
        {
            x.Dispose();
            previous.Dispose();
            tk.Dispose();
        }
    }

    /// <summary>One point of the iteration: alpha, K alpha and the intercepts, owned by no dispose scope.</summary>
    private sealed record Iterate
    {
        public Iterate(Tensor alpha, Tensor u, Tensor b)
        {
            (Alpha, U, B) = (alpha.DetachFromScope(), u.DetachFromScope(), b.DetachFromScope());
        }

        public Tensor Alpha { get; init; }
        public Tensor U { get; init; }
        public Tensor B { get; init; }

        public Iterate Copy() => new(Alpha.Clone(), U.Clone(), B.Clone());

        public void Dispose()
        {
            Alpha.Dispose();
            U.Dispose();
            B.Dispose();
        }
    }

    /// <summary>
    /// lambda_max of [X_S 1][X_S 1]^T = K_S + 1 1^T for every model's row set, by power iteration from a fixed start;
    /// a few dozen iterations come close from below, and the caller's margin covers the rest.
    /// </summary>
    private static Tensor LargestEigenvalue(Tensor k, Tensor mask, int iterations = 30)
    {
        var v = mask.Div(mask.Square().Sum([0]).Sqrt());
        var value = Factory.Zeros(new[] { mask.Size(1) }, DType.Float64);
        for (int i = 0; i < iterations; i++)
        {
            using var scope = TorchRuntime.NewDisposeScope();
            var kv = k.MatMul(v).Add(v.Sum(0, keepDim: true)).Mul(mask);
            var next = kv.Div(kv.Square().Sum([0]).Sqrt().ClampMin(1e-300));
            value = v.Mul(kv).Sum([0]).MoveToOuterScope();
            v = next.MoveToOuterScope();
        }
        return value;
    }

    /// <summary>Logits of every model for rows given by their kernel values against the training rows (n x N).</summary>
    public Tensor DecisionFunction(Tensor kernel)
    {
        if (kernel.Shape.Length != 2 || kernel.Size(1) != Alpha.Size(0))
            throw new ArgumentException($"kernel rows must have {Alpha.Size(0)} columns, got {Tensor.FormatShape(kernel.Shape)}");
        using var scope = TorchRuntime.NewDisposeScope();
        using var noGrad = Autograd.NoGrad();
        return scope.MoveToOuter(kernel.Cast(DType.Float64).MatMul(Alpha).Add(Bias));
    }

    public void Dispose()
    {
        Alpha.Dispose();
        Bias.Dispose();
    }
}
