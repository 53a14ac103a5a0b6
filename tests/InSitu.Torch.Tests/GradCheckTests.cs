using InSitu.Torch;
using InSitu.Torch.NN;

namespace InSitu.Torch.Tests;

public class GradCheckTests
{
    private static Tensor R(params long[] s) => GradCheck.Rand(s);
    private static Tensor Rz(params long[] s) => GradCheck.RandAwayFromZero(s);
    private static Tensor P(params long[] s) => GradCheck.Positive(s);

    public static IEnumerable<object[]> ElementwiseCases() => new (string, Func<Tensor[], Tensor>, Func<Tensor[]>)[]
    {
        ("add", x => x[0] + x[1], () => new[] { R(3, 4), R(4) }),
        ("add_alpha", x => x[0].Add(x[1], 2.5), () => new[] { R(3, 4), R(3, 4) }),
        ("add_scalar", x => x[0] + 1.5, () => new[] { R(3) }),
        ("sub", x => x[0] - x[1], () => new[] { R(2, 3), R(2, 1) }),
        ("rsub", x => 2.0 - x[0], () => new[] { R(3) }),
        ("mul", x => x[0] * x[1], () => new[] { R(2, 3), R(3) }),
        ("mul_scalar", x => x[0] * 3.0, () => new[] { R(4) }),
        ("div", x => x[0] / x[1], () => new[] { R(3, 2), P(3, 2) }),
        ("div_scalar", x => x[0] / 4.0, () => new[] { R(4) }),
        ("neg", x => -x[0], () => new[] { R(4) }),
        ("abs", x => x[0].Abs(), () => new[] { Rz(5) }),
        ("exp", x => x[0].Exp(), () => new[] { R(5) }),
        ("log", x => x[0].Log(), () => new[] { P(5) }),
        ("log1p", x => x[0].Log1p(), () => new[] { P(5) }),
        ("sqrt", x => x[0].Sqrt(), () => new[] { P(5) }),
        ("rsqrt", x => x[0].Rsqrt(), () => new[] { P(5) }),
        ("pow_scalar", x => x[0].Pow(3), () => new[] { R(5) }),
        ("pow_tensor", x => x[0].Pow(x[1]), () => new[] { P(4), R(4) }),
        ("sin", x => x[0].Sin(), () => new[] { R(5) }),
        ("cos", x => x[0].Cos(), () => new[] { R(5) }),
        ("tanh", x => x[0].Tanh(), () => new[] { R(5) }),
        ("sigmoid", x => x[0].Sigmoid(), () => new[] { R(5) }),
        ("relu", x => x[0].Relu(), () => new[] { Rz(6) }),
        ("leaky_relu", x => F.LeakyRelu(x[0], 0.1), () => new[] { Rz(6) }),
        ("gelu", x => F.Gelu(x[0]), () => new[] { R(6) }),
        ("elu", x => F.Elu(x[0]), () => new[] { Rz(6) }),
        ("softplus", x => F.Softplus(x[0]), () => new[] { R(6) }),
        ("silu", x => F.Silu(x[0]), () => new[] { R(6) }),
        ("hardtanh", x => F.Hardtanh(x[0]), () => new[] { Rz(6) }),
        ("reciprocal", x => x[0].Reciprocal(), () => new[] { P(4) }),
        ("square", x => x[0].Square(), () => new[] { R(4) }),
        ("clamp", x => x[0].Clamp(-0.5, 0.5), () => new[] { Rz(8) }),
        ("maximum", x => x[0].Maximum(x[1]), () => new[] { R(5), R(5) }),
        ("minimum", x => x[0].Minimum(x[1]), () => new[] { R(5), R(5) }),
        ("where", x => { using var c = x[0].Gt(0); return Tensor.Where(c, x[0], x[1]); }, () => new[] { Rz(5), R(5) }),
        ("masked_fill", x => { using var m = x[0].Gt(0); return x[0].MaskedFill(m, 2.0); }, () => new[] { Rz(5) }),
        ("clamp_min", x => x[0].ClampMin(0.1), () => new[] { Rz(6) }),
        // Piecewise-constant ops have zero gradient away from their jumps.
        ("floor_sign_round_trunc_ceil", x => x[0].Floor() + x[0].Sign() + x[0].Round() + x[0].Trunc() + x[0].Ceil() + x[0],
            () => new[] { GradCheck.Const(Tensor.FromArray(new double[] { 0.3, -1.2, 2.4, -0.6 })).RequiresGrad_() }),
        ("fmod_remainder", x => x[0].Fmod(1.5) + x[0].Remainder(1.5),
            () => new[] { GradCheck.Const(Tensor.FromArray(new double[] { 0.3, -1.2, 2.4, -0.6 })).RequiresGrad_() }),
        ("type_as", x => x[0].TypeAs(x[1]) * x[1], () => new[] { R(3), R(3) }),
    }.Select(c => new object[] { c.Item1, c.Item2, c.Item3 });

    public static IEnumerable<object[]> ReductionAndShapeCases() => new (string, Func<Tensor[], Tensor>, Func<Tensor[]>)[]
    {
        ("sum", x => x[0].Sum(), () => new[] { R(3, 4) }),
        ("sum_dim", x => x[0].Sum(1, keepDim: true), () => new[] { R(3, 4) }),
        ("mean", x => x[0].Mean(), () => new[] { R(3, 4) }),
        ("mean_dims", x => x[0].Mean(new long[] { 0, 2 }), () => new[] { R(2, 3, 4) }),
        ("max", x => x[0].Max(), () => new[] { R(7) }),
        ("max_dim", x => x[0].Max(1).values, () => new[] { R(3, 4) }),
        ("min_dim", x => x[0].Min(0).values, () => new[] { R(3, 4) }),
        ("std", x => x[0].Std(new long[] { 1 }), () => new[] { R(3, 5) }),
        ("var", x => x[0].Var(), () => new[] { R(3, 5) }),
        ("prod", x => x[0].Prod(), () => new[] { P(4) }),
        ("norm", x => x[0].Norm(), () => new[] { R(6) }),
        ("norm_dim", x => x[0].Norm(new long[] { 1 }), () => new[] { R(3, 4) }),
        ("logsumexp", x => x[0].LogSumExp(new long[] { 1 }), () => new[] { R(3, 4) }),
        ("softmax", x => x[0].Softmax(1), () => new[] { R(3, 4) }),
        ("log_softmax", x => x[0].LogSoftmax(-1), () => new[] { R(3, 4) }),
        ("cumsum", x => x[0].CumSum(0), () => new[] { R(5) }),
        ("topk", x => x[0].TopK(2).values, () => new[] { R(3, 5) }),
        ("sort", x => x[0].Sort(descending: true).values, () => new[] { R(6) }),
        ("view", x => x[0].View(6, 2), () => new[] { R(3, 4) }),
        ("reshape", x => x[0].Transpose(0, 1).Reshape(-1), () => new[] { R(3, 4) }),
        ("flatten", x => x[0].Flatten(1), () => new[] { R(2, 3, 4) }),
        ("squeeze_unsqueeze", x => x[0].Unsqueeze(0).Squeeze(1), () => new[] { R(3, 1, 2) }),
        ("permute", x => x[0].Permute(2, 0, 1), () => new[] { R(2, 3, 4) }),
        ("t", x => x[0].T(), () => new[] { R(2, 3) }),
        ("contiguous_channels_last", x => x[0].Contiguous(MemoryFormat.ChannelsLast) * 2.0, () => new[] { R(2, 3, 4, 5) }),
        ("expand", x => x[0].Expand(3, 4), () => new[] { R(1, 4) }),
        ("repeat", x => x[0].Repeat(2, 3), () => new[] { R(2, 2) }),
        ("narrow", x => x[0].Narrow(1, 1, 2), () => new[] { R(3, 4) }),
        ("select", x => x[0].Select(0, 1), () => new[] { R(3, 4) }),
        ("slice", x => x[0].Slice(1, 1, null, 2), () => new[] { R(3, 6) }),
        ("index", x => { using var i = Tensor.FromArray(new long[] { 2, 0, 2 }); return x[0].Index(null, i); }, () => new[] { R(3, 4) }),
        ("index_select", x => { using var i = Tensor.FromArray(new long[] { 1, 1, 0 }); return x[0].IndexSelect(0, i); },
            () => new[] { R(3, 4) }),
        ("gather", x => { using var i = Tensor.FromArray(new long[] { 0, 2, 1, 1 }, 2, 2); return x[0].Gather(1, i); },
            () => new[] { R(2, 3) }),
        ("scatter", x => { using var i = Tensor.FromArray(new long[] { 0, 2 }, 2, 1); return x[0].Scatter(1, i, x[1]); },
            () => new[] { R(2, 3), R(2, 1) }),
        ("flip", x => x[0].Flip(0, 1), () => new[] { R(3, 4) }),
        ("roll", x => x[0].Roll(new long[] { 1 }, new long[] { 1 }), () => new[] { R(3, 4) }),
        ("pad", x => x[0].Pad(new long[] { 1, 2, 0, 1 }, 0.5), () => new[] { R(1, 2, 3, 3) }),
        ("reflection_pad", x => F.ReflectionPad2d(x[0], 1, 1, 2, 0), () => new[] { R(1, 2, 4, 4) }),
        ("cat", x => Tensor.Cat(new[] { x[0], x[1] }, 1), () => new[] { R(2, 3), R(2, 2) }),
        ("stack", x => Tensor.Stack(new[] { x[0], x[1] }, 0), () => new[] { R(2, 3), R(2, 3) }),
        ("split", x => x[0].Split(2, 1)[1], () => new[] { R(2, 5) }),
        ("chunk", x => x[0].Chunk(2, 0)[0], () => new[] { R(4, 2) }),
        ("unbind", x => x[0].Unbind(1)[2], () => new[] { R(2, 3) }),
        ("clone", x => x[0].Clone(), () => new[] { R(3) }),
        ("matmul", x => x[0].MatMul(x[1]), () => new[] { R(2, 3, 4), R(4, 5) }),
        ("mm", x => x[0].Mm(x[1]), () => new[] { R(3, 4), R(4, 2) }),
        ("bmm", x => x[0].Bmm(x[1]), () => new[] { R(2, 3, 4), R(2, 4, 2) }),
        ("outer", x => x[0].Outer(x[1]), () => new[] { R(3), R(4) }),
        ("einsum", x => Tensor.Einsum("ij,jk->ik", x[0], x[1]), () => new[] { R(2, 3), R(3, 2) }),
        ("diag", x => x[0].Diag(), () => new[] { R(4) }),
    }.Select(c => new object[] { c.Item1, c.Item2, c.Item3 });

    public static IEnumerable<object[]> NnCases() => new (string, Func<Tensor[], Tensor>, Func<Tensor[]>)[]
    {
        ("conv2d", x => F.Conv2d(x[0], x[1], x[2], new long[] { 2, 1 }, new long[] { 1, 1 }),
            () => new[] { R(2, 2, 5, 5), R(3, 2, 3, 3), R(3) }),
        ("conv2d_groups_dilation", x => F.Conv2d(x[0], x[1], null, null, new long[] { 2, 2 }, new long[] { 2, 2 }, 2),
            () => new[] { R(1, 4, 5, 5), R(2, 2, 3, 3) }),
        ("conv_transpose2d", x => F.ConvTranspose2d(x[0], x[1], x[2], new long[] { 2, 2 }, new long[] { 1, 1 }, new long[] { 1, 1 }),
            () => new[] { R(1, 2, 3, 3), R(2, 3, 3, 3), R(3) }),
        ("batch_norm_train", x => F.BatchNorm(x[0], null, null, x[1], x[2], true), () => new[] { R(4, 3, 2, 2), R(3), R(3) }),
        ("batch_norm_eval", x =>
        {
            using var m = Factory.Zeros(new long[] { 3 }, DType.Float64);
            using var v = Factory.Ones(new long[] { 3 }, DType.Float64).Mul(2.0);
            return F.BatchNorm(x[0], m, v, x[1], x[2], false);
        }, () => new[] { R(2, 3, 2, 2), R(3), R(3) }),
        ("layer_norm", x => F.LayerNorm(x[0], new long[] { 4 }, x[1], x[2]), () => new[] { R(3, 4), R(4), R(4) }),
        ("linear", x => F.Linear(x[0], x[1], x[2]), () => new[] { R(3, 4), R(2, 4), R(2) }),
        ("max_pool2d", x => F.MaxPool2d(x[0], new long[] { 2, 2 }), () => new[] { R(1, 2, 4, 4) }),
        ("avg_pool2d", x => F.AvgPool2d(x[0], new long[] { 2, 2 }, new long[] { 1, 1 }), () => new[] { R(1, 2, 4, 4) }),
        ("adaptive_avg_pool2d", x => F.AdaptiveAvgPool2d(x[0], new long[] { 2, 3 }), () => new[] { R(1, 2, 5, 7) }),
        ("adaptive_max_pool2d", x => F.AdaptiveMaxPool2d(x[0], new long[] { 2, 2 }), () => new[] { R(1, 2, 4, 4) }),
        ("bilinear", x => F.InterpolateBilinear(x[0], 5, 7), () => new[] { R(1, 2, 3, 4) }),
        ("nearest", x => F.InterpolateNearest(x[0], 6, 8), () => new[] { R(1, 1, 3, 4) }),
        ("grid_sample", x => { var g = F.AffineGrid(x[1], new long[] { 1, 1, 4, 4 }); return F.GridSample(x[0], g); },
            () => new[] { R(1, 1, 4, 4), GradCheck.Const(Tensor.FromArray(new double[] { 0.9, 0.1, 0.05, -0.1, 0.95, 0.02 }, 1, 2, 3)) }),
        // The dropout mask is random: reseeding before every evaluation makes it the same mask each time.
        ("dropout", x => { TorchRuntime.ManualSeed(11); return F.Dropout(x[0], 0.3, true); }, () => new[] { R(4, 5) }),
        ("dropout2d", x => { TorchRuntime.ManualSeed(12); return F.Dropout2d(x[0], 0.5, true); }, () => new[] { R(2, 4, 2, 2) }),
        ("cosine_similarity", x => F.CosineSimilarity(x[0], x[1]), () => new[] { R(3, 5), R(3, 5) }),
        ("normalize", x => F.Normalize(x[0]), () => new[] { R(3, 4) }),
        ("cross_entropy", x =>
        {
            using var t = Tensor.FromArray(new long[] { 0, 2, 1, -100 });
            using var w = Tensor.FromArray(new double[] { 1, 2, 0.5 });
            return F.CrossEntropy(x[0], t, w);
        }, () => new[] { R(4, 3) }),
        ("cross_entropy_smoothing",
            x => { using var t = Tensor.FromArray(new long[] { 0, 2, 1 }); return F.CrossEntropy(x[0], t, labelSmoothing: 0.1); },
            () => new[] { R(3, 3) }),
        ("nll_loss", x => { using var t = Tensor.FromArray(new long[] { 1, 0 }); return F.NllLoss(x[0].LogSoftmax(1), t); },
            () => new[] { R(2, 3) }),
        ("bce_with_logits", x =>
        {
            using var t = Tensor.FromArray(new double[] { 1, 0, 1, 0, 0, 1 }, 2, 3);
            using var w = Tensor.FromArray(new double[] { 1, 2, 3 });
            using var pw = Tensor.FromArray(new double[] { 2, 1, 0.5 });
            return F.BinaryCrossEntropyWithLogits(x[0], t, w, pw);
        }, () => new[] { R(2, 3) }),
        ("bce", x => { using var t = Tensor.FromArray(new double[] { 1, 0, 1 }); return F.BinaryCrossEntropy(x[0].Sigmoid(), t); },
            () => new[] { R(3) }),
        ("mse", x => F.MseLoss(x[0], x[1]), () => new[] { R(3, 2), R(3, 2) }),
        ("l1", x => F.L1Loss(x[0], x[1], Reduction.Sum),
            () => new[] { Rz(4), GradCheck.Const(Factory.Zeros(new long[] { 4 }, DType.Float64)) }),
        ("smooth_l1", x => F.SmoothL1Loss(x[0], x[1]), () => new[] { R(4), R(4) }),
        ("lstm", x => F.Lstm(x[0], x[1], x[2], x.Skip(3).ToList(), true, 1, 0, true, false, true).output,
            () => new[] { R(2, 3, 2), R(1, 2, 3), R(1, 2, 3), R(12, 2), R(12, 3), R(12), R(12) }),
    }.Select(c => new object[] { c.Item1, c.Item2, c.Item3 });

    [Theory]
    [MemberData(nameof(ElementwiseCases))]
    public void Elementwise(string name, Func<Tensor[], Tensor> f, Func<Tensor[]> inputs) => Run(name, f, inputs);

    [Theory]
    [MemberData(nameof(ReductionAndShapeCases))]
    public void ReductionsAndShapes(string name, Func<Tensor[], Tensor> f, Func<Tensor[]> inputs) => Run(name, f, inputs);

    [Theory]
    [MemberData(nameof(NnCases))]
    public void NeuralNetworkOps(string name, Func<Tensor[], Tensor> f, Func<Tensor[]> inputs) => Run(name, f, inputs);

    private static void Run(string name, Func<Tensor[], Tensor> f, Func<Tensor[]> inputs)
    {
        _ = name;
        using var scope = TorchRuntime.NewDisposeScope();
        TorchRuntime.ManualSeed(7);
        GradCheck.Check(f, inputs());
    }

    /// <summary>Every module, in float64, checked through its parameters as well as its input.</summary>
    public static IEnumerable<object[]> ModuleCases() => new (string, Func<Module>, Func<Module, Tensor, Tensor>, long[])[]
    {
        ("Conv2d", () => new Conv2d(2, 3, 3, 1, 1), (m, x) => ((Conv2d)m).Forward(x), new long[] { 1, 2, 4, 4 }),
        ("ConvTranspose2d", () => new ConvTranspose2d(2, 2, 2, 2), (m, x) => ((ConvTranspose2d)m).Forward(x), new long[] { 1, 2, 2, 2 }),
        ("BatchNorm2d", () => new BatchNorm2d(2), (m, x) => ((BatchNorm2d)m).Forward(x), new long[] { 3, 2, 2, 2 }),
        ("Linear", () => new Linear(4, 3), (m, x) => ((Linear)m).Forward(x), new long[] { 2, 4 }),
        ("LSTM_bidirectional_2layer", () => new LSTM(3, 2, numLayers: 2, batchFirst: true, bidirectional: true),
            (m, x) => ((LSTM)m).Forward(x).output, new long[] { 2, 3, 3 }),
        ("LSTM_variable_length", () => new LSTM(2, 2, batchFirst: true, bidirectional: true),
            (m, x) => ((LSTM)m).Forward(x, new long[] { 2, 4, 3 }).h, new long[] { 3, 4, 2 }),
        ("Sequential",
            () => new Sequential(new Conv2d(1, 2, 3, padding: 1), new BatchNorm2d(2), new ReLU(), new MaxPool2d(2), new Flatten(),
                new Linear(8, 2)),
            (m, x) => ((Sequential)m).Forward(x), new long[] { 2, 1, 4, 4 }),
        ("Dropout_LeakyReLU_GELU", () => new Sequential(new Linear(3, 4), new LeakyReLU(0.2), new GELU(), new Dropout(0.0)),
            (m, x) => ((Sequential)m).Forward(x), new long[] { 2, 3 }),
        // scaled so that inputs fall on both sides of both kinks (0 and 6)
        ("ReLU6", () => new Sequential(new Linear(3, 6), new Linear(6, 6), new ReLU6()), (m, x) => ((Sequential)m).Forward(x * 8.0),
            new long[] { 4, 3 }),
        ("AdaptiveMaxPool2d", () => new Sequential(new Conv2d(1, 2, 3), new AdaptiveMaxPool2d(1, 1)), (m, x) => ((Sequential)m).Forward(x),
            new long[] { 1, 1, 5, 5 }),
        ("AvgPool_Adaptive_Sigmoid_Tanh",
            () => new Sequential(new AvgPool2d(2), new AdaptiveAvgPool2d(1, 1), new Sigmoid(), new Tanh(), new Identity()),
            (m, x) => ((Sequential)m).Forward(x), new long[] { 1, 2, 4, 4 }),
    }.Select(c => new object[] { c.Item1, c.Item2, c.Item3, c.Item4 });

    [Theory]
    [MemberData(nameof(ModuleCases))]
    public void Modules(string name, Func<Module> make, Func<Module, Tensor, Tensor> forward, long[] inputShape)
    {
        _ = name;
        using var scope = TorchRuntime.NewDisposeScope();
        TorchRuntime.ManualSeed(3);
        using var module = make();
        module.To(Device.CPU, DType.Float64);
        GradCheck.CheckModule(module, x => forward(module, x), GradCheck.Rand(inputShape));
    }
}
