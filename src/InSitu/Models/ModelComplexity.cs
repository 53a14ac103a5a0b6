using InSitu.Torch;
using InSitu.Torch.NN;

namespace InSitu.Models;

/// <summary>Parameters and multiply-accumulates of one part of a network (a top-level child, or the whole).</summary>
public sealed record ComplexityPart(string Name, long Parameters, long MultiplyAdds);

/// <summary>
/// What a network costs: its parameter count and the multiply-accumulates (MACs) of one forward pass of one image.
/// MACs are counted for convolutions (output elements x input channels per group x kernel area) and fully connected layers
/// (output elements x input features), which is what the RegNet, ResNet and MobileNet papers call FLOPs
/// (RegNetY-200MF: 0.2 G). Batch norm, activations, pooling and additions are left out, as in those papers.
/// </summary>
public sealed record ModelComplexity(long Parameters, long MultiplyAdds, long[] InputShape, IReadOnlyList<ComplexityPart> Parts)
{
    /// <summary>
    /// Runs <paramref name="model"/> once in eval mode on a zero image of <paramref name="inputShape"/> (C x H x W) with
    /// forward hooks on its convolutions and linear layers.
    /// </summary>
    public static ModelComplexity Measure(Module<Tensor, Tensor> model, long[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (inputShape.Length != 3 || inputShape.Any(d => d < 1))
            throw new ArgumentException($"the input shape must be C x H x W with positive sizes, got {string.Join("x", inputShape)}");
        var byModule = new Dictionary<string, long>(StringComparer.Ordinal);
        var hooks = new List<IDisposable>();
        bool wasTraining = model.Training;
        try
        {
            foreach (var (name, module) in model.NamedModules())
            {
                string path = name;
                if (module is Conv2d conv)
                    hooks.Add(conv.RegisterForwardHook((_, _, y) =>
                    {
                        Add(byModule, path, y.NumEl * (conv.InChannels / conv.Groups) * conv.KernelSize[0] * conv.KernelSize[1]);
                        return null;
                    }));
                else if (module is Linear linear)
                    hooks.Add(linear.RegisterForwardHook((_, _, y) =>
                    {
                        Add(byModule, path, y.NumEl * linear.InFeatures);
                        return null;
                    }));
            }
            model.Eval();
            using var inference = Autograd.InferenceMode();
            using var scope = TorchRuntime.NewDisposeScope();
            using var x = Factory.Zeros(new[] { 1L }.Concat(inputShape).ToArray());
            model.Forward(x);
        }
        finally
        {
            foreach (var h in hooks) h.Dispose();
            model.Train(wasTraining);
        }
        var parts = model.NamedChildren()
            .Select(c => new ComplexityPart(c.name, c.module.ParameterCount(),
                byModule.Where(m => m.Key == c.name || m.Key.StartsWith(c.name + ".", StringComparison.Ordinal)).Sum(m => m.Value)))
            .Where(p => p.Parameters > 0 || p.MultiplyAdds > 0).ToList();
        return new ModelComplexity(model.ParameterCount(), byModule.Values.Sum(), inputShape, parts);
    }

    private static void Add(Dictionary<string, long> counts, string path, long macs)
    {
        lock (counts) counts[path] = counts.GetValueOrDefault(path) + macs;
    }
}
