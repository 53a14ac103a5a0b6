using InSitu.Torch;

namespace InSitu.Classic;

/// <summary>
/// Image vectors from dense local descriptors coded over a learned vocabulary, pooled over a spatial pyramid (the
/// whole image, then l x l cells for each further level), as in the sparse-coding baseline of seed 001 (ScSPM style):
/// <list type="bullet">
/// <item><see cref="SparseCodes"/>: LASSO codes over a learned dictionary, max-pooled (largest |code| per atom and cell);</item>
/// <item><see cref="BagOfWords"/>: each descriptor assigned to its nearest k-means word, histograms per cell (the share
/// of the cell's descriptors per word), the simpler variant.</item>
/// </list>
/// Descriptors come as N x d x rows x columns maps; the result is N x (words x sum of l^2 over the levels).
/// </summary>
public static class LocalFeatureCoding
{
    public static Tensor SparseCodes(Tensor descriptors, Tensor dictionary, double alpha, IReadOnlyList<int> levels, int iterations = 50)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var (n, rows, columns) = (descriptors.Size(0), descriptors.Size(2), descriptors.Size(3));
        var codes = LassoCoder.Encode(Flatten(descriptors), dictionary, alpha, iterations).Abs();
        var maps = codes.Reshape(n, rows, columns, dictionary.Size(0)).Permute(0, 3, 1, 2);
        return scope.MoveToOuter(Pyramid(maps, levels, max: true));
    }

    public static Tensor BagOfWords(Tensor descriptors, Tensor words, IReadOnlyList<int> levels)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var (n, rows, columns) = (descriptors.Size(0), descriptors.Size(2), descriptors.Size(3));
        var nearest = KMeans.Assign(Flatten(descriptors), words);
        var maps = F.OneHot(nearest, words.Size(0)).Cast(DType.Float32).Reshape(n, rows, columns, words.Size(0)).Permute(0, 3, 1, 2);
        return scope.MoveToOuter(Pyramid(maps, levels, max: false));
    }

    /// <summary>The descriptors of every position as rows: (N x rows x columns) x d.</summary>
    public static Tensor Flatten(Tensor descriptors) =>
        descriptors.Permute(0, 2, 3, 1).Reshape(-1, descriptors.Size(1));

    /// <summary>Max or average pooling of N x K x h x w maps over l x l cells for each level l, concatenated.</summary>
    public static Tensor Pyramid(Tensor maps, IReadOnlyList<int> levels, bool max)
    {
        if (levels.Count == 0 || levels.Any(l => l < 1)) throw new ArgumentException("pyramid levels must be at least 1");
        var parts = levels.Select(l => (max ? F.AdaptiveMaxPool2d(maps, [l, l]) : F.AdaptiveAvgPool2d(maps, [l, l])).Flatten(1)).ToList();
        return Tensor.Cat(parts, 1);
    }
}
