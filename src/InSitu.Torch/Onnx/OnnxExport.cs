using InSitu.Torch.NN;

namespace InSitu.Torch.Onnx;

/// <summary>
/// What a model file promises its users: the input's name and shape (a free dimension, e.g. "batch", takes any
/// size), an optional per-channel normalisation (x - mean) * (1 / std) applied inside the model before the network,
/// the output's name and shape, and text for readers (doc string, metadata key/value pairs).
/// </summary>
public sealed record OnnxModelSpec(string InputName, OnnxDimension[] InputShape, string OutputName, OnnxDimension[] OutputShape)
{
    public float[]? Mean { get; init; }
    public float[]? Std { get; init; }
    public string DocString { get; init; } = "";
    public IReadOnlyList<KeyValuePair<string, string>> Metadata { get; init; } = [];
}

/// <summary>A module as an ONNX model file: one graph input, the module's inference forward pass, one graph output.</summary>
public static class OnnxExport
{
    public const string Producer = "InSitu";

    /// <summary>The graph of <paramref name="model"/>, which must be in eval mode (the file describes inference): the root,
    /// its batch norms and its dropouts.</summary>
    public static OnnxGraph Build(Module model, OnnxModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(spec);
        // the modules whose forward pass depends on the mode (a fold's Identity may well be left in training mode)
        if (model.NamedModules().FirstOrDefault(m => m.module.Training && (m.name.Length == 0 || m.module is BatchNorm2d or Dropout))
            is { module: not null } training)
            throw new InvalidOperationException($"module '{(training.name.Length == 0 ? model.GetType().Name : training.name)}' is in " +
                "training mode: call Eval() before exporting (an ONNX file describes inference)");
        var graph = new OnnxGraph(model.GetType().Name) { DocString = spec.DocString };
        graph.Metadata.AddRange(spec.Metadata);
        graph.Claim(spec.InputName);
        graph.Inputs.Add(new OnnxValue(spec.InputName, spec.InputShape));
        var exporter = new OnnxExporter(graph);
        var x = spec.Mean is null && spec.Std is null ? spec.InputName : Normalise(exporter, spec);
        var y = exporter.Export(model, x, "");
        // the last value takes the output's name; a model that adds no node (all identities) gets an Identity to carry it
        if (graph.Nodes.Count > 0 && graph.Nodes[^1].Output == y && !graph.Nodes.Any(n => n.Inputs.Contains(y)))
            graph.RenameOutput(y, spec.OutputName);
        else graph.AddNode(spec.OutputName, "Identity", [y], spec.OutputName);
        graph.Outputs.Add(new OnnxValue(spec.OutputName, spec.OutputShape));
        return graph;
    }

    public static byte[] ToModelProto(Module model, OnnxModelSpec spec, string producerVersion) =>
        Build(model, spec).ToModelProto(Producer, producerVersion);

    /// <summary>Writes the model file atomically: a reader sees the old file or the whole new one.</summary>
    public static OnnxGraph Save(Module model, OnnxModelSpec spec, string path, string producerVersion)
    {
        var graph = Build(model, spec);
        AtomicFile.WriteBytes(path, graph.ToModelProto(Producer, producerVersion));
        return graph;
    }

    /// <summary>The loader's arithmetic, (x - mean) * (1 / std) with the reciprocal taken in float32, so the model sees
    /// the values InSitu's own pipeline gives it.</summary>
    private static string Normalise(OnnxExporter exporter, OnnxModelSpec spec)
    {
        if (spec.Mean is null || spec.Std is null || spec.Mean.Length != spec.Std.Length)
            throw new ArgumentException("an input normalisation needs a mean and a std per channel");
        if (spec.Std.Any(s => !(s > 0))) throw new ArgumentException("the normalisation's std values must be positive");
        int channels = spec.Mean.Length;
        if (spec.InputShape.Length != 4 || spec.InputShape[1].Symbol is not null || spec.InputShape[1].Size != channels)
            throw new ArgumentException($"a {channels}-channel normalisation needs an input [N, {channels}, H, W]");
        var shape = new long[] { 1, channels, 1, 1 };
        var mean = exporter.Graph.AddInitializer("input_mean", shape, spec.Mean);
        var inverse = exporter.Graph.AddInitializer("input_inverse_std", shape, spec.Std.Select(s => 1 / s).ToArray());
        var centred = exporter.Node("input_centred", "Sub", [spec.InputName, mean]);
        return exporter.Node("input_normalised", "Mul", [centred, inverse]);
    }
}
