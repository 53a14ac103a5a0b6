using InSitu.Torch;

namespace InSitu.Classic;

/// <summary>
/// Sparse codes over a dictionary: for each row x of a matrix, the code a minimising
/// <code>1/2 ||x - a D||^2 + alpha ||a||_1</code>
/// (D: atoms x d, atoms as rows; scikit-learn's sparse_encode with lasso_cd), by FISTA on all rows at once: the
/// gradient a G - x D^T with G = D D^T is one matrix product per iteration, the step 1 / lambda_max(G).
/// </summary>
public static class LassoCoder
{
    /// <summary>Codes (n x atoms, float32) of the rows of <paramref name="x"/> (n x d).</summary>
    public static Tensor Encode(Tensor x, Tensor dictionary, double alpha, int iterations = 100)
    {
        if (!(alpha >= 0)) throw new ArgumentException($"alpha must be zero or positive (got {alpha})");
        if (x.Shape.Length != 2 || dictionary.Shape.Length != 2 || x.Size(1) != dictionary.Size(1))
            throw new ArgumentException($"descriptors {Tensor.FormatShape(x.Shape)} and dictionary " +
                $"{Tensor.FormatShape(dictionary.Shape)} must have the same width");
        using var scope = TorchRuntime.NewDisposeScope();
        using var noGrad = Autograd.NoGrad();
        var dtype = x.DType == DType.Float64 ? DType.Float64 : DType.Float32;
        var d = dictionary.Cast(dtype);
        var gram = d.MatMul(d.T());
        var c = x.Cast(dtype).MatMul(d.T());
        double lipschitz = LargestEigenvalue(gram) * 1.01 + 1e-12;
        double threshold = alpha / lipschitz;
        var a = Factory.Zeros(c.Shape, dtype).DetachFromScope();
        var previous = a.Clone().DetachFromScope();
        double t = 1;
        try
        {
            for (int i = 0; i < iterations; i++)
            {
                using var step = TorchRuntime.NewDisposeScope();
                double tNext = (1 + Math.Sqrt(1 + 4 * t * t)) / 2;
                var y = a.Add(a.Sub(previous).Mul((t - 1) / tNext));
                var z = y.Sub(y.MatMul(gram).Sub(c).Div(lipschitz));
                var next = z.Sign().Mul(z.Abs().Sub(threshold).ClampMin(0)).DetachFromScope();
                previous.Dispose();
                (previous, a, t) = (a, next, tNext);
            }
            return scope.MoveToOuter(a.Alias());
        }
        finally
        {
            a.Dispose();
            previous.Dispose();
        }
    }

    /// <summary>The largest eigenvalue of a symmetric positive semi-definite matrix, by power iteration.</summary>
    internal static double LargestEigenvalue(Tensor symmetric, int iterations = 100)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var v = Factory.Ones(new[] { symmetric.Size(0), 1L }, symmetric.DType);
        double value = 0;
        for (int i = 0; i < iterations; i++)
        {
            var w = symmetric.MatMul(v);
            double norm = w.Norm().Item();
            if (!(norm > 0)) return 0;
            value = v.Mul(w).Sum().Item() / v.Square().Sum().Item();
            v = w.Div(norm);
        }
        return value;
    }
}

/// <summary>
/// A dictionary for sparse coding learned from sample descriptors: k-means centres (unit-normalised) as the start,
/// then rounds of LASSO coding (<see cref="LassoCoder"/>) and a block-coordinate update of the atoms on the
/// sufficient statistics A = a^T a, B = x^T a (Mairal et al.'s dictionary update: each atom moves to its least-squares
/// position given the others and is projected onto the unit ball); an atom that no code uses is restarted on a
/// random descriptor.
/// </summary>
public static class DictionaryLearning
{
    /// <summary>Atoms x d dictionary (float32, rows of norm at most 1) for the rows of <paramref name="x"/>.</summary>
    public static Tensor Learn(Tensor x, int atoms, double alpha, int rounds, int seed, int codingIterations = 50)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        using var noGrad = Autograd.NoGrad();
        var data = x.Cast(DType.Float32).Contiguous();
        var rng = new Random(seed);
        var start = KMeans.Fit(data, atoms, 10, seed);
        var dictionary = start.Div(start.Norm([1], keepDim: true).ClampMin(1e-8)).DetachFromScope();
        for (int round = 0; round < rounds; round++)
        {
            using var step = TorchRuntime.NewDisposeScope();
            var codes = LassoCoder.Encode(data, dictionary, alpha, codingIterations);
            var a = codes.T().MatMul(codes); // atoms x atoms
            var b = data.T().MatMul(codes);  // d x atoms
            var d = dictionary.T().Clone();  // d x atoms, columns are atoms
            var diagonal = a.Diag().ToFloatArray();
            for (int j = 0; j < atoms; j++)
            {
                using var inner = TorchRuntime.NewDisposeScope();
                Tensor column;
                if (diagonal[j] < 1e-10)
                    column = data.Narrow(0, rng.NextInt64(data.Size(0)), 1).T();
                else
                {
                    var u = b.Narrow(1, j, 1).Sub(d.MatMul(a.Narrow(1, j, 1))).Div(diagonal[j]).Add(d.Narrow(1, j, 1));
                    column = u.Div(Math.Max(1.0, u.Norm().Item()));
                }
                d.Narrow(1, j, 1).Copy_(column.Div(diagonal[j] < 1e-10 ? Math.Max(1e-8, column.Norm().Item()) : 1.0));
            }
            var next = d.T().Contiguous().DetachFromScope();
            dictionary.Dispose();
            dictionary = next;
        }
        var result = scope.MoveToOuter(dictionary.Alias());
        dictionary.Dispose();
        return result;
    }
}
