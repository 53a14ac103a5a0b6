using InSitu.Torch;
using InSitu.Torch.NN;

namespace InSitu.Workflows.Bags;

/// <summary>
/// Bags of per-image feature vectors, packed: the vectors of all bags one after the other ((sum of n_i) x D), bag i's
/// being rows Offsets[i] .. Offsets[i] + Lengths[i] - 1.
/// </summary>
public sealed record PackedBags(Tensor Features, long[] Offsets, long[] Lengths)
{
    public int Count => Lengths.Length;

    /// <summary>Packs per-bag arrays of row-major n_i x <paramref name="width"/> features.</summary>
    public static PackedBags Of(IReadOnlyList<float[]> bags, int width)
    {
        ArgumentNullException.ThrowIfNull(bags);
        var lengths = bags.Select(b => (long)(b.Length / width)).ToArray();
        if (lengths.Any(l => l < 1)) throw new ArgumentException("every bag needs at least one feature vector");
        var offsets = new long[lengths.Length];
        for (int i = 1; i < offsets.Length; i++) offsets[i] = offsets[i - 1] + lengths[i - 1];
        var data = new float[bags.Sum(b => b.Length)];
        int at = 0;
        foreach (var b in bags)
        {
            b.CopyTo(data, at);
            at += b.Length;
        }
        return new PackedBags(Tensor.FromArray(data, lengths.Sum(), width), offsets, lengths);
    }
}

/// <summary>
/// The bag model of METHODS.md section 5: a bidirectional LSTM reads a bag's image features as a sequence; at every step
/// its state [h_fwd, h_bwd] (the paper's [h_N, h_1]: what the bag says read forwards and backwards) goes through dropout,
/// a fully connected layer and a ReLU; these are averaged over the bag's own images; dropout and a last fully connected
/// layer give one logit per attribute. Bags of any length share a batch: the LSTM runs on packed sequences, so padding
/// never enters its recurrence, and the average counts each bag's real steps only (the published code averaged over the
/// padded length, so a bag's output depended on its batch).
/// </summary>
public sealed class BagSequenceModel : Module<PackedBags, Tensor>
{
    private readonly LSTM _lstm;
    private readonly Dropout _dropout;
    private readonly Linear _fc1, _fc2;

    public BagSequenceModel(int featureWidth, int hidden, int layers, int attributes, double dropout)
    {
        if (featureWidth < 1 || hidden < 1 || layers < 1 || attributes < 1)
            throw new ArgumentException("the bag model needs positive feature width, hidden size, layers and attributes");
        FeatureWidth = featureWidth;
        _lstm = RegisterModule("lstm", new LSTM(featureWidth, hidden, layers, batchFirst: true, bidirectional: true));
        _dropout = RegisterModule("dropout", new Dropout(dropout));
        _fc1 = RegisterModule("fc1", new Linear(2L * hidden, hidden));
        _fc2 = RegisterModule("fc2", new Linear(hidden, attributes));
    }

    public int FeatureWidth { get; }

    protected override Tensor ForwardCore(PackedBags bags)
    {
        ArgumentNullException.ThrowIfNull(bags);
        long width = bags.Features.Size(1);
        if (bags.Features.Dim != 2 || width != FeatureWidth)
            throw new TorchException($"the bag model takes features [n, {FeatureWidth}], got {Tensor.FormatShape(bags.Features.Shape)}");
        long longest = bags.Lengths.Max();
        // row t of bag b is feature offset_b + min(t, n_b - 1): the steps past a bag's end repeat its last image, and the
        // packed LSTM never reads them
        var index = new long[bags.Count * longest];
        for (int b = 0; b < bags.Count; b++)
            for (long t = 0; t < longest; t++) index[b * longest + t] = bags.Offsets[b] + Math.Min(t, bags.Lengths[b] - 1);
        using var scope = TorchRuntime.NewDisposeScope();
        var padded = bags.Features.IndexSelect(0, Tensor.FromArray(index).To(bags.Features.Device)).View(bags.Count, longest, width);
        return scope.MoveToOuter(ForwardPadded(padded, bags.Lengths));
    }

    /// <summary>
    /// The same on a padded batch B x T x D whose bag b holds <paramref name="lengths"/>[b] real steps; what lies beyond them
    /// has no effect on the result.
    /// </summary>
    public Tensor ForwardPadded(Tensor padded, long[] lengths)
    {
        ArgumentNullException.ThrowIfNull(padded);
        ArgumentNullException.ThrowIfNull(lengths);
        using var scope = TorchRuntime.NewDisposeScope();
        var (states, _, _) = _lstm.Forward(padded, lengths);
        var steps = _fc1.Forward(_dropout.Forward(states)).Relu();
        long longest = padded.Size(1);
        var real = new float[lengths.Length * longest];
        for (int b = 0; b < lengths.Length; b++)
            for (long t = 0; t < lengths[b]; t++) real[b * longest + t] = 1;
        var mask = Tensor.FromArray(real, lengths.Length, longest, 1).To(padded.Device);
        var counts = Tensor.FromArray(lengths.Select(l => (float)l).ToArray(), lengths.Length, 1).To(padded.Device);
        var pooled = steps.Mul(mask).Sum(1).Div(counts);
        return scope.MoveToOuter(_fc2.Forward(_dropout.Forward(pooled)));
    }
}
