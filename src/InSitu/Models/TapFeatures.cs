using InSitu.Torch;

namespace InSitu.Models;

/// <summary>
/// Feature vectors from tap points (METHODS.md section 4): each tap's output is flattened (a map channel-major, as
/// PyTorch flattens) and the taps are concatenated in the order asked. A map larger than the pooling grid is first
/// average-pooled down to it (adaptive pooling, at most the grid in each direction), which keeps vectors of large maps
/// manageable; without a grid the maps are kept whole (the paper's 512 x 28 x 28 = 401,408 values of VGG16's layer 21).
/// </summary>
public static class TapFeatures
{
    /// <summary>N x D features of <paramref name="taps"/> for <paramref name="input"/>, in one forward pass.</summary>
    public static Tensor Extract(IHasTapPoints network, Tensor input, IReadOnlyList<string> taps, int[]? poolGrid)
    {
        var outputs = network.Taps(input, taps.Distinct().ToList());
        try
        {
            return Concatenate(outputs, taps, poolGrid);
        }
        finally
        {
            foreach (var t in outputs.Values) t.Dispose();
        }
    }

    /// <summary>N x D: the outputs of <paramref name="taps"/> (keys as asked), pooled and flattened, concatenated.</summary>
    public static Tensor Concatenate(IReadOnlyDictionary<string, Tensor> outputs, IReadOnlyList<string> taps, int[]? poolGrid)
    {
        if (taps.Count == 0) throw new ArgumentException("no tap points given");
        using var scope = TorchRuntime.NewDisposeScope();
        var parts = taps.Select(t => Pool(outputs[t], poolGrid).Flatten(1)).ToList();
        return scope.MoveToOuter(parts.Count == 1 ? parts[0].Contiguous() : Tensor.Cat(parts, 1));
    }

    /// <summary>A map reduced to at most the grid (rows, columns) by average pooling; vectors and small maps as they are.</summary>
    public static Tensor Pool(Tensor output, int[]? poolGrid)
    {
        if (poolGrid is null || output.Shape.Length != 4) return output.Alias();
        long h = output.Size(2), w = output.Size(3);
        long gh = Math.Min(h, poolGrid[0]), gw = Math.Min(w, poolGrid[1]);
        return gh == h && gw == w ? output.Alias() : F.AdaptiveAvgPool2d(output, [gh, gw]);
    }
}
