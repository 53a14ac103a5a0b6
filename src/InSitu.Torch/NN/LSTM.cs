namespace InSitu.Torch.NN;

/// <summary>
/// Multi-layer, optionally bidirectional LSTM with torch.nn.LSTM's parameter names and initialisation.
/// Input [N, T, F] when batchFirst, else [T, N, F]; sequences of different lengths are handled exactly
/// (padding never enters the recurrence) when lengths are given.
/// </summary>
public sealed class LSTM : Module
{
    public long InputSize { get; }
    public long HiddenSize { get; }
    public long NumLayers { get; }
    public bool Bidirectional { get; }
    public bool BatchFirst { get; }
    public double DropoutP { get; }
    private readonly bool _hasBiases;
    private readonly List<Parameter> _flat = new();

    public LSTM(long inputSize, long hiddenSize, long numLayers = 1, bool bias = true, bool batchFirst = false,
        double dropout = 0, bool bidirectional = false)
    {
        (InputSize, HiddenSize, NumLayers, BatchFirst, DropoutP, Bidirectional, _hasBiases) =
            (inputSize, hiddenSize, numLayers, batchFirst, dropout, bidirectional, bias);
        int dirs = bidirectional ? 2 : 1;
        double bound = 1 / Math.Sqrt(hiddenSize);
        for (int layer = 0; layer < numLayers; layer++)
            for (int d = 0; d < dirs; d++)
            {
                string sfx = $"_l{layer}{(d == 1 ? "_reverse" : "")}";
                long layerIn = layer == 0 ? inputSize : hiddenSize * dirs;
                var shapes = new List<(string, long[])> { ("weight_ih" + sfx, new[] { 4 * hiddenSize, layerIn }),
                    ("weight_hh" + sfx, new[] { 4 * hiddenSize, hiddenSize }) };
                if (bias) shapes.AddRange(new[] { ("bias_ih" + sfx, new[] { 4 * hiddenSize }),
                    ("bias_hh" + sfx, new[] { 4 * hiddenSize }) });
                foreach (var (name, shape) in shapes)
                {
                    using var t = Factory.Empty(shape);
                    var p = RegisterParameter(name, t);
                    Init.Uniform_(p, -bound, bound);
                    _flat.Add(p);
                }
            }
    }

    private int Directions => Bidirectional ? 2 : 1;

    /// <summary>Runs the LSTM; state (h0, c0) defaults to zeros. Returns output and the final (h, c), each [layers*dirs, N, H].</summary>
    public (Tensor output, Tensor h, Tensor c) Forward(Tensor input, long[]? lengths = null, (Tensor h, Tensor c)? state = null)
    {
        var s = input.Shape;
        if (s.Length != 3 || s[2] != InputSize)
            throw new TorchException($"LSTM expects input {(BatchFirst ? "[N, T, " : "[T, N, ")}{InputSize}], got {Tensor.FormatShape(s)}");
        long batch = BatchFirst ? s[0] : s[1];
        var stateShape = new[] { NumLayers * Directions, batch, HiddenSize };
        Tensor h0, c0;
        bool own = state is null;
        if (state is { } st)
        {
            if (!st.h.Shape.SequenceEqual(stateShape) || !st.c.Shape.SequenceEqual(stateShape))
                throw new TorchException($"LSTM state must be {Tensor.FormatShape(stateShape)}, got h {Tensor.FormatShape(st.h.Shape)} " +
                    $"and c {Tensor.FormatShape(st.c.Shape)}");
            (h0, c0) = st;
        }
        else
        {
            h0 = Factory.Zeros(stateShape, input.DType, input.Device);
            c0 = Factory.Zeros(stateShape, input.DType, input.Device);
        }
        try
        {
            return lengths is null
                ? F.Lstm(input, h0, c0, _flat, _hasBiases, NumLayers, DropoutP, Training, Bidirectional, BatchFirst)
                : F.LstmPacked(input, lengths, h0, c0, _flat, _hasBiases, NumLayers, DropoutP, Training, Bidirectional, BatchFirst);
        }
        finally
        {
            if (own)
            {
                h0.Dispose();
                c0.Dispose();
            }
        }
    }
}
