using System.Runtime.InteropServices;

namespace InSitu.Torch.Onnx;

/// <summary>A node attribute: an integer, a list of integers or a float (all an exported network needs).</summary>
public sealed record OnnxAttr(string Name, long? Int = null, long[]? Ints = null, float? Float = null)
{
    public static implicit operator OnnxAttr((string name, long value) a) => new(a.name, Int: a.value);
    public static implicit operator OnnxAttr((string name, long[] values) a) => new(a.name, Ints: a.values);
    public static implicit operator OnnxAttr((string name, float value) a) => new(a.name, Float: a.value);
}

/// <summary>One operator of the graph: reads values by name, writes one value.</summary>
public sealed record OnnxNode(string Name, string OpType, string[] Inputs, string Output, OnnxAttr[] Attributes);

/// <summary>A float32 constant stored in the model (weights, biases, normalisation constants).</summary>
public sealed record OnnxInitializer(string Name, long[] Dims, float[] Values);

/// <summary>One dimension of a graph input or output: a fixed size, or a named free one such as the batch.</summary>
public readonly record struct OnnxDimension(long Size, string? Symbol = null)
{
    public static OnnxDimension Free(string symbol) => new(0, symbol);
    public static implicit operator OnnxDimension(long size) => new(size);
    public override string ToString() => Symbol ?? Size.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A float32 graph input or output with its shape.</summary>
public sealed record OnnxValue(string Name, OnnxDimension[] Shape);

/// <summary>
/// An ONNX model under construction: a graph of nodes in execution order over named values, its initializers, inputs
/// and outputs, and the model-level text (doc string, metadata). <see cref="ToModelProto"/> writes the binary
/// ModelProto of onnx.proto (IR version 8, default-domain opset 17) that any ONNX runtime reads.
/// </summary>
public sealed class OnnxGraph
{
    public const long IrVersion = 8;
    public const long Opset = 17;

    // field numbers of onnx.proto (ONNX 1.12, the release of IR version 8 and opset 17)
    private const int ModelIrVersion = 1, ModelProducerName = 2, ModelProducerVersion = 3, ModelDocString = 6, ModelGraph = 7,
        ModelOpsetImport = 8, ModelMetadataProps = 14;
    private const int OpsetDomain = 1, OpsetVersion = 2;
    private const int GraphNode = 1, GraphName = 2, GraphInitializer = 5, GraphInput = 11, GraphOutput = 12;
    private const int NodeInput = 1, NodeOutput = 2, NodeName = 3, NodeOpType = 4, NodeAttribute = 5;
    private const int AttributeName = 1, AttributeFloat = 2, AttributeInt = 3, AttributeInts = 8, AttributeType = 20;
    private const int AttributeTypeFloat = 1, AttributeTypeInt = 2, AttributeTypeInts = 7;
    private const int TensorDims = 1, TensorDataType = 2, TensorName = 8, TensorRawData = 9;
    private const int DataTypeFloat = 1;
    private const int ValueName = 1, ValueType = 2, TypeTensor = 1, TensorTypeElemType = 1, TensorTypeShape = 2;
    private const int ShapeDim = 1, DimValue = 1, DimParam = 2;
    private const int EntryKey = 1, EntryValue = 2;

    private readonly List<OnnxNode> _nodes = new();
    private readonly List<OnnxInitializer> _initializers = new();
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public OnnxGraph(string name) => Name = name;

    public string Name { get; }
    public IReadOnlyList<OnnxNode> Nodes => _nodes;
    public IReadOnlyList<OnnxInitializer> Initializers => _initializers;
    public List<OnnxValue> Inputs { get; } = new();
    public List<OnnxValue> Outputs { get; } = new();
    public string DocString { get; set; } = "";
    public List<KeyValuePair<string, string>> Metadata { get; } = new();

    /// <summary>Adds a node writing the value <paramref name="output"/>, which must be a new name; returns it.</summary>
    public string AddNode(string name, string opType, IReadOnlyList<string> inputs, string output, params OnnxAttr[] attributes)
    {
        Claim(output);
        _nodes.Add(new OnnxNode(name, opType, inputs.ToArray(), output, attributes));
        return output;
    }

    /// <summary>Stores a float32 constant under <paramref name="name"/>; returns the name.</summary>
    public string AddInitializer(string name, long[] dims, float[] values)
    {
        long count = dims.Aggregate(1L, (a, b) => a * b);
        if (count != values.Length)
            throw new ArgumentException(
                $"initializer '{name}': shape [{string.Join(", ", dims)}] holds {count} values, got {values.Length}");
        Claim(name);
        _initializers.Add(new OnnxInitializer(name, dims, values));
        return name;
    }

    /// <summary>A value name not yet used, from <paramref name="wanted"/> (suffixed when taken).</summary>
    public string FreshName(string wanted)
    {
        if (!_names.Contains(wanted)) return wanted;
        for (int i = 1; ; i++)
        {
            var candidate = $"{wanted}_{i}";
            if (!_names.Contains(candidate)) return candidate;
        }
    }

    /// <summary>Reserves a value name for a graph input, whose producer is the caller.</summary>
    public void Claim(string name)
    {
        if (string.IsNullOrEmpty(name)) throw new ArgumentException("ONNX value names must not be empty");
        if (!_names.Add(name)) throw new ArgumentException($"the ONNX value '{name}' is defined twice");
    }

    /// <summary>Renames the value a node writes (e.g. the last one, to the graph's output name).</summary>
    public void RenameOutput(string from, string to)
    {
        int i = _nodes.FindIndex(n => n.Output == from);
        if (i < 0) throw new ArgumentException($"no node writes '{from}'");
        if (_nodes.Any(n => n.Inputs.Contains(from))) throw new ArgumentException($"'{from}' is read by other nodes; it cannot be renamed");
        Claim(to);
        _names.Remove(from);
        _nodes[i] = _nodes[i] with { Output = to };
    }

    public byte[] ToModelProto(string producerName, string producerVersion)
    {
        var model = new ProtoWriter()
            .Int(ModelIrVersion, IrVersion)
            .String(ModelProducerName, producerName)
            .String(ModelProducerVersion, producerVersion);
        if (DocString.Length > 0) model.String(ModelDocString, DocString);
        model.Message(ModelGraph, WriteGraph)
            .Message(ModelOpsetImport, o => o.String(OpsetDomain, "").Int(OpsetVersion, Opset));
        foreach (var (key, value) in Metadata)
            model.Message(ModelMetadataProps, e => e.String(EntryKey, key).String(EntryValue, value));
        return model.ToArray();
    }

    private void WriteGraph(ProtoWriter g)
    {
        foreach (var node in _nodes) g.Message(GraphNode, n => WriteNode(n, node));
        g.String(GraphName, Name);
        foreach (var init in _initializers) g.Message(GraphInitializer, t => WriteTensor(t, init));
        foreach (var input in Inputs) g.Message(GraphInput, v => WriteValue(v, input));
        foreach (var output in Outputs) g.Message(GraphOutput, v => WriteValue(v, output));
    }

    private static void WriteNode(ProtoWriter n, OnnxNode node)
    {
        foreach (var input in node.Inputs) n.String(NodeInput, input);
        n.String(NodeOutput, node.Output).String(NodeName, node.Name).String(NodeOpType, node.OpType);
        foreach (var a in node.Attributes)
            n.Message(NodeAttribute, w =>
            {
                w.String(AttributeName, a.Name);
                if (a.Int is { } i) w.Int(AttributeInt, i).Int(AttributeType, AttributeTypeInt);
                else if (a.Ints is { } ints) w.PackedInts(AttributeInts, ints).Int(AttributeType, AttributeTypeInts);
                else if (a.Float is { } f) w.Float(AttributeFloat, f).Int(AttributeType, AttributeTypeFloat);
                else throw new ArgumentException($"attribute '{a.Name}' of node '{node.Name}' has no value");
            });
    }

    private static void WriteTensor(ProtoWriter t, OnnxInitializer init)
    {
        t.PackedInts(TensorDims, init.Dims).Int(TensorDataType, DataTypeFloat).String(TensorName, init.Name);
        // raw_data is little-endian by the ONNX spec
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX export needs a little-endian machine");
        t.Bytes(TensorRawData, MemoryMarshal.AsBytes(init.Values.AsSpan()));
    }

    private static void WriteValue(ProtoWriter v, OnnxValue value) =>
        v.String(ValueName, value.Name).Message(ValueType, type => type.Message(TypeTensor, tensor => tensor
            .Int(TensorTypeElemType, DataTypeFloat)
            .Message(TensorTypeShape, shape =>
            {
                foreach (var d in value.Shape)
                    shape.Message(ShapeDim, dim =>
                    {
                        if (d.Symbol is { } s) dim.String(DimParam, s);
                        else dim.Int(DimValue, d.Size);
                    });
            })));
}
