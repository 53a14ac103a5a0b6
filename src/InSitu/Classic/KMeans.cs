using InSitu.Torch;

namespace InSitu.Classic;

/// <summary>
/// k-means on the rows of a matrix: k-means++ seeding (each new centre drawn with probability proportional to the
/// squared distance to the nearest centre so far), then Lloyd iterations; distances come from one matrix product
/// (||x||^2 - 2 x c^T + ||c||^2), centre sums from a one-hot matrix product. A centre left without points is moved
/// to the point farthest from its own centre.
/// </summary>
public static class KMeans
{
    /// <summary>k centres (k x d, float32) of the rows of <paramref name="x"/> (n x d).</summary>
    public static Tensor Fit(Tensor x, int k, int iterations, int seed)
    {
        long n = x.Size(0);
        if (k < 1 || k > n) throw new ArgumentException($"k-means needs 1 <= k <= rows, got k = {k} for {n} rows");
        using var scope = TorchRuntime.NewDisposeScope();
        using var noGrad = Autograd.NoGrad();
        var data = x.Cast(DType.Float32).Contiguous();
        var centres = Seed(data, k, new Random(seed));
        for (int it = 0; it < iterations; it++)
        {
            using var step = TorchRuntime.NewDisposeScope();
            var (distance, nearest) = SquaredDistances(data, centres).Min(1);
            var onehot = F.OneHot(nearest, k).Cast(DType.Float32);
            var counts = onehot.Sum([0]);
            var sums = onehot.T().MatMul(data);
            var empty = counts.Eq(0);
            var next = Tensor.Where(empty.Unsqueeze(1), centres, sums.Div(counts.ClampMin(1).Unsqueeze(1)));
            if (empty.Any().Item() > 0)
            {
                // an empty cluster takes the worst-served point, so no centre is wasted
                long farthest = distance.ArgMax().ToLongArray()[0], first = empty.Nonzero().Flatten().ToLongArray()[0];
                next.IndexPut_([Tensor.FromArray(new[] { first }, 1)], data.Narrow(0, farthest, 1));
            }
            centres.Dispose();
            centres = next.DetachFromScope();
        }
        var result = scope.MoveToOuter(centres.Alias());
        centres.Dispose();
        return result;
    }

    /// <summary>The index of the nearest centre of each row.</summary>
    public static Tensor Assign(Tensor x, Tensor centres)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        using var noGrad = Autograd.NoGrad();
        return scope.MoveToOuter(SquaredDistances(x.Cast(DType.Float32), centres).ArgMin(1));
    }

    /// <summary>n x k squared Euclidean distances.</summary>
    public static Tensor SquaredDistances(Tensor x, Tensor centres) =>
        x.Square().Sum(1, keepDim: true).Sub(x.MatMul(centres.T()).Mul(2)).Add(centres.Square().Sum(1).Unsqueeze(0)).ClampMin(0);

    private static Tensor Seed(Tensor data, int k, Random rng)
    {
        long n = data.Size(0);
        var chosen = new List<long> { rng.NextInt64(n) };
        var best = SquaredDistances(data, data.Narrow(0, chosen[0], 1)).Flatten().Cast(DType.Float64).ToDoubleArray();
        while (chosen.Count < k)
        {
            double total = best.Sum();
            long pick;
            if (!(total > 0)) pick = Enumerable.Range(0, (int)n).First(i => !chosen.Contains(i)); // all points coincide
            else
            {
                double r = rng.NextDouble() * total, acc = 0;
                pick = n - 1;
                for (int i = 0; i < n; i++)
                {
                    acc += best[i];
                    if (acc >= r) { pick = i; break; }
                }
            }
            chosen.Add(pick);
            using var scope = TorchRuntime.NewDisposeScope();
            var d = SquaredDistances(data, data.Narrow(0, pick, 1)).Flatten().Cast(DType.Float64).ToDoubleArray();
            for (int i = 0; i < n; i++) best[i] = Math.Min(best[i], d[i]);
        }
        return data.IndexSelect(0, Tensor.FromArray(chosen.ToArray(), chosen.Count)).DetachFromScope();
    }
}
