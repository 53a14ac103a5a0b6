namespace InSitu.Torch;

public enum Reduction
{
    None = 0,
    Mean = 1,
    Sum = 2,
}

/// <summary>Stateless neural-network operations (the counterpart of torch.nn.functional).</summary>
public static class F
{
    private static readonly Op conv2d_ = new("aten::conv2d"), conv_t2d = new("aten::conv_transpose2d", "input"),
        batch_norm_ = new("aten::batch_norm"), linear_ = new("aten::linear"), max_pool2d_ = new("aten::max_pool2d"),
        avg_pool2d_ = new("aten::avg_pool2d"), adaptive_avg = new("aten::adaptive_avg_pool2d"),
        adaptive_max = new("aten::adaptive_max_pool2d"), dropout_ = new("aten::dropout"), feature_dropout_ = new("aten::feature_dropout"),
        cross_entropy_ = new("aten::cross_entropy_loss"), bce_logits = new("aten::binary_cross_entropy_with_logits"),
        bce_ = new("aten::binary_cross_entropy"), mse_ = new("aten::mse_loss"), l1_ = new("aten::l1_loss"),
        smooth_l1 = new("aten::smooth_l1_loss"), nll_ = new("aten::nll_loss"),
        cosine_ = new("aten::cosine_similarity"), bilinear_ = new("aten::upsample_bilinear2d", "vec"),
        nearest_ = new("aten::upsample_nearest2d", "vec"), leaky_ = new("aten::leaky_relu"), gelu_ = new("aten::gelu"),
        elu_ = new("aten::elu"), softplus_ = new("aten::softplus"), silu_ = new("aten::silu"), hardtanh_ = new("aten::hardtanh"),
        affine_grid = new("aten::affine_grid_generator"), grid_sampler_ = new("aten::grid_sampler"),
        reflection_pad = new("aten::reflection_pad2d"), one_hot_ = new("aten::one_hot"), layer_norm_ = new("aten::layer_norm"),
        lstm_input = new("aten::lstm", "input"), lstm_data = new("aten::lstm", "data"),
        pack_ = new("aten::_pack_padded_sequence"), pad_packed = new("aten::_pad_packed_sequence");

    private static long[] Pair(long v) => new[] { v, v };

    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, long[]? stride = null, long[]? padding = null,
        long[]? dilation = null, long groups = 1) =>
        new OpCall(conv2d_).Tensor(input).Tensor(weight).Tensor(bias).Ints(stride ?? Pair(1)).Ints(padding ?? Pair(0))
            .Ints(dilation ?? Pair(1)).Int(groups).InvokeTensor();

    public static Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias = null, long[]? stride = null, long[]? padding = null,
        long[]? outputPadding = null, long groups = 1, long[]? dilation = null) =>
        new OpCall(conv_t2d).Tensor(input).Tensor(weight).Tensor(bias).Ints(stride ?? Pair(1)).Ints(padding ?? Pair(0))
            .Ints(outputPadding ?? Pair(0)).Int(groups).Ints(dilation ?? Pair(1)).InvokeTensor();

    /// <summary>Batch normalisation; in training it normalises by batch statistics and updates the running ones in place.</summary>
    public static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias,
        bool training, double momentum = 0.1, double eps = 1e-5) =>
        new OpCall(batch_norm_).Tensor(input).Tensor(weight).Tensor(bias).Tensor(runningMean).Tensor(runningVar)
            .Bool(training).Double(momentum).Double(eps).Bool(true).InvokeTensor();

    public static Tensor LayerNorm(Tensor input, long[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5) =>
        new OpCall(layer_norm_).Tensor(input).Ints(normalizedShape).Tensor(weight).Tensor(bias).Double(eps).Bool(true).InvokeTensor();

    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null) =>
        new OpCall(linear_).Tensor(input).Tensor(weight).Tensor(bias).InvokeTensor();

    public static Tensor MaxPool2d(Tensor input, long[] kernel, long[]? stride = null, long[]? padding = null, long[]? dilation = null,
        bool ceilMode = false) =>
        new OpCall(max_pool2d_).Tensor(input).Ints(kernel).Ints(stride ?? kernel).Ints(padding ?? Pair(0)).Ints(dilation ?? Pair(1))
            .Bool(ceilMode).InvokeTensor();

    public static Tensor AvgPool2d(Tensor input, long[] kernel, long[]? stride = null, long[]? padding = null, bool ceilMode = false,
        bool countIncludePad = true) =>
        new OpCall(avg_pool2d_).Tensor(input).Ints(kernel).Ints(stride ?? kernel).Ints(padding ?? Pair(0)).Bool(ceilMode)
            .Bool(countIncludePad).None().InvokeTensor();

    public static Tensor AdaptiveAvgPool2d(Tensor input, long[] outputSize) =>
        new OpCall(adaptive_avg).Tensor(input).Ints(outputSize).InvokeTensor();

    public static Tensor AdaptiveMaxPool2d(Tensor input, long[] outputSize)
    {
        var r = new OpCall(adaptive_max).Tensor(input).Ints(outputSize).InvokeTensors();
        r[1]!.Dispose();
        return r[0]!;
    }

    public static Tensor Dropout(Tensor input, double p, bool training) =>
        new OpCall(dropout_).Tensor(input).Double(p).Bool(training).InvokeTensor();

    /// <summary>Drops whole channels (Dropout2d).</summary>
    public static Tensor Dropout2d(Tensor input, double p, bool training) =>
        new OpCall(feature_dropout_).Tensor(input).Double(p).Bool(training).InvokeTensor();

    // ---- activations ------------------------------------------------------------------------------------------
    public static Tensor Relu(Tensor x) => x.Relu();
    public static Tensor LeakyRelu(Tensor x, double slope = 0.01) => new OpCall(leaky_).Tensor(x).Double(slope).InvokeTensor();
    public static Tensor Gelu(Tensor x, bool tanhApproximation = false) =>
        new OpCall(gelu_).Tensor(x).String(tanhApproximation ? "tanh" : "none").InvokeTensor();
    public static Tensor Elu(Tensor x, double alpha = 1) => new OpCall(elu_).Tensor(x).Double(alpha).Double(1).Double(1).InvokeTensor();
    public static Tensor Softplus(Tensor x, double beta = 1, double threshold = 20) =>
        new OpCall(softplus_).Tensor(x).Double(beta).Double(threshold).InvokeTensor();
    public static Tensor Silu(Tensor x) => new OpCall(silu_).Tensor(x).InvokeTensor();
    public static Tensor Hardtanh(Tensor x, double min = -1, double max = 1)
        => new OpCall(hardtanh_).Tensor(x).Double(min).Double(max).InvokeTensor();
    public static Tensor Sigmoid(Tensor x) => x.Sigmoid();
    public static Tensor Tanh(Tensor x) => x.Tanh();
    public static Tensor Softmax(Tensor x, long dim) => x.Softmax(dim);
    public static Tensor LogSoftmax(Tensor x, long dim) => x.LogSoftmax(dim);

    // ---- losses -----------------------------------------------------------------------------------------------
    /// <summary>Softmax cross-entropy of logits [N, C, ...] against class indices [N, ...] (int64), as torch's.</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean,
        long ignoreIndex = -100, double labelSmoothing = 0)
    {
        if (target.DType != DType.Int64 && !target.DType.IsFloating())
            throw new TorchException($"cross-entropy targets must be int64 class indices (or float probabilities), " +
                $"got {target.DType.Name()}");
        return new OpCall(cross_entropy_).Tensor(logits).Tensor(target).Tensor(weight).Int((int)reduction).Int(ignoreIndex)
            .Double(labelSmoothing).InvokeTensor();
    }

    public static Tensor NllLoss(Tensor logProbs, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean,
        long ignoreIndex = -100) =>
        new OpCall(nll_).Tensor(logProbs).Tensor(target).Tensor(weight).Int((int)reduction).Int(ignoreIndex).InvokeTensor();

    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor target, Tensor? weight = null, Tensor? posWeight = null,
        Reduction reduction = Reduction.Mean) =>
        new OpCall(bce_logits).Tensor(logits).Tensor(target).Tensor(weight).Tensor(posWeight).Int((int)reduction).InvokeTensor();

    public static Tensor BinaryCrossEntropy(Tensor probs, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean) =>
        new OpCall(bce_).Tensor(probs).Tensor(target).Tensor(weight).Int((int)reduction).InvokeTensor();

    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
        new OpCall(mse_).Tensor(input).Tensor(target).Int((int)reduction).InvokeTensor();

    public static Tensor L1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
        new OpCall(l1_).Tensor(input).Tensor(target).Int((int)reduction).InvokeTensor();

    public static Tensor SmoothL1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double beta = 1) =>
        new OpCall(smooth_l1).Tensor(input).Tensor(target).Int((int)reduction).Double(beta).InvokeTensor();

    // ---- geometry and similarity -----------------------------------------------------------------------------
    public static Tensor CosineSimilarity(Tensor a, Tensor b, long dim = 1, double eps = 1e-8) =>
        new OpCall(cosine_).Tensor(a).Tensor(b).Int(dim).Double(eps).InvokeTensor();

    /// <summary>x / max(||x||_p, eps) along dim.</summary>
    public static Tensor Normalize(Tensor x, double p = 2, long dim = 1, double eps = 1e-12)
    {
        using var n = x.Norm(new[] { dim }, p, keepDim: true);
        using var c = n.ClampMin(eps);
        return x.Div(c);
    }

    public static Tensor OneHot(Tensor indices, long numClasses) => new OpCall(one_hot_).Tensor(indices).Int(numClasses).InvokeTensor();

    public static Tensor InterpolateBilinear(Tensor x, long height, long width, bool alignCorners = false) =>
        new OpCall(bilinear_).Tensor(x).Ints(new[] { height, width }).Bool(alignCorners).None().InvokeTensor();

    public static Tensor InterpolateNearest(Tensor x, long height, long width) =>
        new OpCall(nearest_).Tensor(x).Ints(new[] { height, width }).None().InvokeTensor();

    /// <summary>Sampling grid [N, H, W, 2] for affine matrices theta [N, 2, 3] (normalised coordinates).</summary>
    public static Tensor AffineGrid(Tensor theta, long[] size, bool alignCorners = false) =>
        new OpCall(affine_grid).Tensor(theta).Ints(size).Bool(alignCorners).InvokeTensor();

    /// <summary>Samples input at grid; mode 0 bilinear / 1 nearest; padding 0 zeros / 1 border / 2 reflection.</summary>
    public static Tensor GridSample(Tensor input, Tensor grid, int mode = 0, int padding = 0, bool alignCorners = false) =>
        new OpCall(grid_sampler_).Tensor(input).Tensor(grid).Int(mode).Int(padding).Bool(alignCorners).InvokeTensor();

    public static Tensor ReflectionPad2d(Tensor x, long left, long right, long top, long bottom) =>
        new OpCall(reflection_pad).Tensor(x).Ints(new[] { left, right, top, bottom }).InvokeTensor();

    // ---- recurrent ---------------------------------------------------------------------------------------------
    /// <summary>
    /// Multi-layer (bi)directional LSTM over padded batches. parameters are, per layer and direction,
    /// w_ih, w_hh[, b_ih, b_hh] as in torch.nn.LSTM. Returns output and the final (h, c).
    /// </summary>
    public static (Tensor output, Tensor h, Tensor c) Lstm(Tensor input, Tensor h0, Tensor c0, IReadOnlyList<Tensor> parameters,
        bool hasBiases, long numLayers, double dropout, bool training, bool bidirectional, bool batchFirst)
    {
        var r = new OpCall(lstm_input).Tensor(input).Tensors(new[] { h0, c0 }).Tensors(parameters.ToArray()).Bool(hasBiases)
            .Int(numLayers).Double(dropout).Bool(training).Bool(bidirectional).Bool(batchFirst).InvokeTensors();
        return (r[0]!, r[1]!, r[2]!);
    }

    /// <summary>
    /// The LSTM over sequences of different lengths (lengths[i] valid steps of sequence i): only valid steps are
    /// processed, padded outputs are zero and h/c are those of each sequence's last valid step.
    /// </summary>
    public static (Tensor output, Tensor h, Tensor c) LstmPacked(Tensor input, long[] lengths, Tensor h0, Tensor c0,
        IReadOnlyList<Tensor> parameters, bool hasBiases, long numLayers, double dropout, bool training,
            bool bidirectional, bool batchFirst)
    {
        long batch = input.Size(batchFirst ? 0 : 1), total = input.Size(batchFirst ? 1 : 0);
        if (lengths.Length != batch) throw new TorchException($"{lengths.Length} lengths given for a batch of {batch} sequences");
        foreach (var l in lengths)
            if (l < 1 || l > total) throw new TorchException($"sequence length {l} outside 1..{total}");
        // aten's packing wants lengths in decreasing order: sort, run, and restore the caller's order.
        var order = Enumerable.Range(0, lengths.Length).OrderByDescending(i => lengths[i]).ThenBy(i => i).Select(i => (long)i).ToArray();
        var inverse = new long[order.Length];
        for (int i = 0; i < order.Length; i++) inverse[order[i]] = i;
        using var scope = new DisposeScope();
        var sortIdx = Tensor.FromArray(order).To(input.Device);
        var invIdx = Tensor.FromArray(inverse).To(input.Device);
        var sortedInput = input.IndexSelect(batchFirst ? 0 : 1, sortIdx);
        var sortedLengths = Tensor.FromArray(order.Select(i => lengths[i]).ToArray());
        var packed = new OpCall(pack_).Tensor(sortedInput).Tensor(sortedLengths).Bool(batchFirst).InvokeTensors();
        var hs = h0.IndexSelect(1, sortIdx);
        var cs = c0.IndexSelect(1, sortIdx);
        var r = new OpCall(lstm_data).Tensor(packed[0]).Tensor(packed[1]).Tensors(new[] { hs, cs }).Tensors(parameters.ToArray())
            .Bool(hasBiases).Int(numLayers).Double(dropout).Bool(training).Bool(bidirectional).InvokeTensors();
        var padded = new OpCall(pad_packed).Tensor(r[0]).Tensor(packed[1]).Bool(batchFirst).Double(0).Int(total).InvokeTensors();
        var output = padded[0]!.IndexSelect(batchFirst ? 0 : 1, invIdx);
        var h = r[1]!.IndexSelect(1, invIdx);
        var c = r[2]!.IndexSelect(1, invIdx);
        return (scope.MoveToOuter(output), scope.MoveToOuter(h), scope.MoveToOuter(c));
    }
}
