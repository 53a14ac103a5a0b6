using InSitu.Torch.NN;

namespace InSitu.Torch.Onnx;

/// <summary>
/// Writes a module tree's inference forward pass into an <see cref="OnnxGraph"/>: the engine's layers directly
/// (Conv2d, BatchNorm2d with its running statistics, ReLU, Sigmoid, Tanh, LeakyReLU, MaxPool2d, AvgPool2d,
/// AdaptiveAvgPool2d to 1x1, Flatten from dimension 1, Linear, Sequential; Identity and Dropout pass their input on),
/// and any other module that declares its own (<see cref="IOnnxExportable"/>). Anything else is refused with one
/// message naming the module. Values, nodes and weights are named by their module's path in the model
/// ("layer1.0.conv1", "layer1.0.conv1.weight"), so the graph reads like the state dict.
/// </summary>
public sealed class OnnxExporter
{
    public OnnxExporter(OnnxGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        Graph = graph;
    }

    public OnnxGraph Graph { get; }

    public static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    /// <summary>Adds the nodes of <paramref name="module"/> reading <paramref name="input"/>; returns its output value.</summary>
    public string Export(Module module, string input, string path)
    {
        ArgumentNullException.ThrowIfNull(module);
        string Named(string what) => path.Length == 0 ? what : path;
        switch (module)
        {
            case IOnnxExportable own:
                return own.ExportOnnx(this, input, path);
            case Sequential:
                foreach (var (name, child) in module.NamedChildren()) input = Export(child, input, Join(path, name));
                return input;
            case Identity:
            case Dropout:
                return input;
            case Conv2d conv:
                return Convolution(conv, input, Named("conv"));
            case BatchNorm2d bn:
                return Node(Named("batch_norm"), "BatchNormalization",
                    [input, Weight(Join(path, "weight"), bn.Weight), Weight(Join(path, "bias"), bn.Bias),
                        Weight(Join(path, "running_mean"), bn.RunningMean), Weight(Join(path, "running_var"), bn.RunningVar)],
                    ("epsilon", (float)bn.Eps));
            case ReLU:
                return Node(Named("relu"), "Relu", [input]);
            case Sigmoid:
                return Node(Named("sigmoid"), "Sigmoid", [input]);
            case Tanh:
                return Node(Named("tanh"), "Tanh", [input]);
            case LeakyReLU leaky:
                return Node(Named("leaky_relu"), "LeakyRelu", [input], ("alpha", (float)leaky.NegativeSlope));
            case MaxPool2d pool:
                return Node(Named("max_pool"), "MaxPool", [input], ("kernel_shape", pool.KernelSize.ToArray()),
                    ("strides", pool.Stride.ToArray()), ("pads", Pads(pool.Padding)));
            case AvgPool2d pool:
                return AveragePool(Named("avg_pool"), input, pool.KernelSize, pool.Stride, pool.Padding);
            case AdaptiveAvgPool2d pool when pool.OutputSize.All(s => s == 1):
                return Node(Named("global_avg_pool"), "GlobalAveragePool", [input]);
            case Flatten flatten when flatten.StartDim == 1 && flatten.EndDim == -1:
                return Node(Named("flatten"), "Flatten", [input], ("axis", 1L));
            case Linear linear:
                return LinearLayer(linear, input, path);
            default:
                throw Unsupported(module, path, module switch
                {
                    AdaptiveAvgPool2d => " with an output size other than 1x1",
                    Flatten => " other than Flatten(1, -1)",
                    _ => "",
                });
        }
    }

    /// <summary>Exports the child <paramref name="name"/> of <paramref name="parent"/> (whose path is
    /// <paramref name="parentPath"/>), as a composite's <see cref="IOnnxExportable.ExportOnnx"/> does.</summary>
    public string ExportChild(Module parent, string name, string input, string parentPath)
    {
        ArgumentNullException.ThrowIfNull(parent);
        foreach (var (childName, child) in parent.NamedChildren())
            if (childName == name) return Export(child, input, Join(parentPath, name));
        throw new ArgumentException($"{parent.GetType().Name} has no child '{name}'");
    }

    /// <summary>One operator node; its output value takes the node's name (made unique); returns it.</summary>
    public string Node(string name, string opType, IReadOnlyList<string> inputs, params OnnxAttr[] attributes)
    {
        var output = Graph.FreshName(name);
        return Graph.AddNode(output, opType, inputs, output, attributes);
    }

    /// <summary>Stores a tensor's values (as float32, copied to the CPU) under <paramref name="name"/>; returns the name.</summary>
    public string Weight(string name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var detached = tensor.Detach();
        using var cpu = detached.To(Device.CPU, DType.Float32);
        return Graph.AddInitializer(Graph.FreshName(name), cpu.Shape, cpu.ToFloatArray());
    }

    /// <summary>torch's avg_pool2d without ceil mode: padded cells count in the mean (count_include_pad).</summary>
    public string AveragePool(string name, string input, IReadOnlyList<long> kernel, IReadOnlyList<long> stride,
        IReadOnlyList<long> padding) =>
        Node(name, "AveragePool", [input], ("kernel_shape", kernel.ToArray()), ("strides", stride.ToArray()), ("pads", Pads(padding)),
            ("count_include_pad", 1L));

    /// <summary>ONNX pads list every spatial axis's begin, then every axis's end; torch pads both ends alike.</summary>
    private static long[] Pads(IReadOnlyList<long> padding) => [.. padding, .. padding];

    private string Convolution(Conv2d conv, string input, string name)
    {
        var inputs = new List<string> { input, Weight(Join(name, "weight"), conv.Weight) };
        if (conv.Bias is not null) inputs.Add(Weight(Join(name, "bias"), conv.Bias));
        return Node(name, "Conv", inputs, ("kernel_shape", conv.KernelSize), ("strides", conv.Stride), ("pads", Pads(conv.Padding)),
            ("dilations", conv.Dilation), ("group", conv.Groups));
    }

    /// <summary>y = x W^T + b as MatMul and Add, which (unlike Gemm) take any number of leading dimensions, as Linear does.</summary>
    private string LinearLayer(Linear linear, string input, string path)
    {
        var name = path.Length == 0 ? "linear" : path;
        using var detached = linear.Weight.Detach();
        using var transposed = detached.Transpose(0, 1);
        var product = Node(linear.Bias is null ? name : Join(name, "matmul"), "MatMul",
            [input, Weight(Join(name, "weight_transposed"), transposed)]);
        return linear.Bias is null ? product : Node(name, "Add", [product, Weight(Join(name, "bias"), linear.Bias)]);
    }

    private static InvalidOperationException Unsupported(Module module, string path, string detail) =>
        new($"ONNX export does not support the module {(path.Length == 0 ? "at the root" : $"'{path}'")} " +
            $"({module.GetType().Name}{detail}); supported: Conv2d, BatchNorm2d, ReLU, Sigmoid, Tanh, LeakyReLU, MaxPool2d, " +
            "AvgPool2d, AdaptiveAvgPool2d(1, 1), Flatten(1, -1), Linear, Sequential, Identity, Dropout and modules implementing " +
            $"{nameof(IOnnxExportable)}");
}
