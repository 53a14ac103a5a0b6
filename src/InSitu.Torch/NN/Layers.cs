using System.Globalization;

namespace InSitu.Torch.NN;

/// <summary>2-d convolution, weight [out, in/groups, kh, kw], with torch.nn.Conv2d's default initialisation.</summary>
public sealed class Conv2d : Module<Tensor, Tensor>
{
    public Parameter Weight { get; }
    public Parameter? Bias { get; }
    public long InChannels { get; }
    public long OutChannels { get; }
    public long[] KernelSize { get; }
    public long[] Stride { get; }
    public long[] Padding { get; }
    public long[] Dilation { get; }
    public long Groups { get; }

    public Conv2d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0, long dilation = 1,
        long groups = 1, bool bias = true)
        : this(inChannels, outChannels, new[] { kernelSize, kernelSize }, new[] { stride, stride }, new[] { padding, padding },
            new[] { dilation, dilation }, groups, bias)
    { }

    public Conv2d(long inChannels, long outChannels, long[] kernelSize, long[] stride, long[] padding, long[] dilation,
        long groups = 1, bool bias = true)
    {
        if (inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"channels ({inChannels} in, {outChannels} out) must be divisible by groups ({groups})");
        (InChannels, OutChannels, KernelSize, Stride, Padding, Dilation, Groups) = (inChannels, outChannels, kernelSize, stride,
            padding, dilation, groups);
        (Weight, Bias) = Init.RegisterWeightAndBias(RegisterParameter,
            new[] { outChannels, inChannels / groups, kernelSize[0], kernelSize[1] }, outChannels, bias);
    }

    protected override Tensor ForwardCore(Tensor input)
    {
        var s = input.Shape;
        if (s.Length != 4 || s[1] != InChannels)
            throw new TorchException($"Conv2d expects input [N, {InChannels}, H, W], got {Tensor.FormatShape(s)}");
        return F.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups);
    }
}

/// <summary>Transposed 2-d convolution (learned upsampling), weight [in, out/groups, kh, kw].</summary>
public sealed class ConvTranspose2d : Module<Tensor, Tensor>
{
    public Parameter Weight { get; }
    public Parameter? Bias { get; }
    public long InChannels { get; }
    private readonly long[] _stride, _padding, _outputPadding, _dilation;
    private readonly long _groups;

    public ConvTranspose2d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0,
        long outputPadding = 0, long groups = 1, bool bias = true, long dilation = 1)
    {
        InChannels = inChannels;
        _stride = new[] { stride, stride };
        _padding = new[] { padding, padding };
        _outputPadding = new[] { outputPadding, outputPadding };
        _dilation = new[] { dilation, dilation };
        _groups = groups;
        (Weight, Bias) = Init.RegisterWeightAndBias(RegisterParameter,
            new[] { inChannels, outChannels / groups, kernelSize, kernelSize }, outChannels, bias);
    }

    protected override Tensor ForwardCore(Tensor input)
    {
        var s = input.Shape;
        if (s.Length != 4 || s[1] != InChannels)
            throw new TorchException($"ConvTranspose2d expects input [N, {InChannels}, H, W], got {Tensor.FormatShape(s)}");
        return F.ConvTranspose2d(input, Weight, Bias, _stride, _padding, _outputPadding, _groups, _dilation);
    }
}

/// <summary>Batch normalisation over channels of [N, C, H, W], with running statistics for evaluation.</summary>
public sealed class BatchNorm2d : Module<Tensor, Tensor>
{
    public Parameter Weight { get; }
    public Parameter Bias { get; }
    public Tensor RunningMean { get; }
    public Tensor RunningVar { get; }
    public Tensor NumBatchesTracked { get; }
    public long NumFeatures { get; }
    public double Momentum { get; }
    public double Eps { get; }

    public BatchNorm2d(long numFeatures, double eps = 1e-5, double momentum = 0.1)
    {
        (NumFeatures, Eps, Momentum) = (numFeatures, eps, momentum);
        using (var w = Factory.Ones(new[] { numFeatures })) Weight = RegisterParameter("weight", w);
        using (var b = Factory.Zeros(new[] { numFeatures })) Bias = RegisterParameter("bias", b);
        RunningMean = RegisterBuffer("running_mean", Factory.Zeros(new[] { numFeatures }));
        RunningVar = RegisterBuffer("running_var", Factory.Ones(new[] { numFeatures }));
        NumBatchesTracked = RegisterBuffer("num_batches_tracked", Factory.Zeros(Array.Empty<long>(), DType.Int64));
    }

    protected override Tensor ForwardCore(Tensor input)
    {
        var s = input.Shape;
        if (s.Length != 4 || s[1] != NumFeatures)
            throw new TorchException($"BatchNorm2d expects input [N, {NumFeatures}, H, W], got {Tensor.FormatShape(s)}");
        if (Training)
        {
            using var _ = Autograd.NoGrad();
            NumBatchesTracked.Add_(1L);
        }
        return F.BatchNorm(input, RunningMean, RunningVar, Weight, Bias, Training, Momentum, Eps);
    }
}

/// <summary>y = x W^T + b, weight [out, in].</summary>
public sealed class Linear : Module<Tensor, Tensor>
{
    public Parameter Weight { get; }
    public Parameter? Bias { get; }
    public long InFeatures { get; }
    public long OutFeatures { get; }

    public Linear(long inFeatures, long outFeatures, bool bias = true)
    {
        (InFeatures, OutFeatures) = (inFeatures, outFeatures);
        (Weight, Bias) = Init.RegisterWeightAndBias(RegisterParameter, new[] { outFeatures, inFeatures }, outFeatures, bias);
    }

    protected override Tensor ForwardCore(Tensor input)
    {
        var s = input.Shape;
        if (s.Length == 0 || s[^1] != InFeatures)
            throw new TorchException($"Linear expects input [..., {InFeatures}], got {Tensor.FormatShape(s)}");
        return F.Linear(input, Weight, Bias);
    }
}

public sealed class Dropout : Module<Tensor, Tensor>
{
    public double P { get; }

    public Dropout(double p = 0.5)
    {
        if (p < 0 || p > 1) throw new ArgumentException($"dropout probability must be in [0, 1], got {p}");
        P = p;
    }

    protected override Tensor ForwardCore(Tensor input) => F.Dropout(input, P, Training);
}

public sealed class MaxPool2d : Module<Tensor, Tensor>
{
    private readonly long[] _kernel, _stride, _padding;

    public IReadOnlyList<long> KernelSize => _kernel;
    public IReadOnlyList<long> Stride => _stride;
    public IReadOnlyList<long> Padding => _padding;

    public MaxPool2d(long kernelSize, long? stride = null, long padding = 0)
    {
        _kernel = new[] { kernelSize, kernelSize };
        _stride = new[] { stride ?? kernelSize, stride ?? kernelSize };
        _padding = new[] { padding, padding };
    }

    protected override Tensor ForwardCore(Tensor input) => F.MaxPool2d(input, _kernel, _stride, _padding);
}

public sealed class AvgPool2d : Module<Tensor, Tensor>
{
    private readonly long[] _kernel, _stride, _padding;

    public IReadOnlyList<long> KernelSize => _kernel;
    public IReadOnlyList<long> Stride => _stride;
    public IReadOnlyList<long> Padding => _padding;

    public AvgPool2d(long kernelSize, long? stride = null, long padding = 0)
    {
        _kernel = new[] { kernelSize, kernelSize };
        _stride = new[] { stride ?? kernelSize, stride ?? kernelSize };
        _padding = new[] { padding, padding };
    }

    protected override Tensor ForwardCore(Tensor input) => F.AvgPool2d(input, _kernel, _stride, _padding);
}

public sealed class AdaptiveAvgPool2d : Module<Tensor, Tensor>
{
    private readonly long[] _size;
    public IReadOnlyList<long> OutputSize => _size;
    public AdaptiveAvgPool2d(long height, long width) => _size = new[] { height, width };
    protected override Tensor ForwardCore(Tensor input) => F.AdaptiveAvgPool2d(input, _size);
}

public sealed class AdaptiveMaxPool2d : Module<Tensor, Tensor>
{
    private readonly long[] _size;
    public AdaptiveMaxPool2d(long height, long width) => _size = new[] { height, width };
    protected override Tensor ForwardCore(Tensor input) => F.AdaptiveMaxPool2d(input, _size);
}

public sealed class ReLU : Module<Tensor, Tensor>
{
    protected override Tensor ForwardCore(Tensor input) => input.Relu();
}

/// <summary>min(max(x, 0), 6), as torch.nn.ReLU6 and Keras's ReLU(max_value=6) (MobileNetV2's activation).</summary>
public sealed class ReLU6 : Module<Tensor, Tensor>
{
    protected override Tensor ForwardCore(Tensor input) => F.Hardtanh(input, 0, 6);
}

public sealed class LeakyReLU : Module<Tensor, Tensor>
{
    private readonly double _slope;
    public double NegativeSlope => _slope;
    public LeakyReLU(double negativeSlope = 0.01) => _slope = negativeSlope;
    protected override Tensor ForwardCore(Tensor input) => F.LeakyRelu(input, _slope);
}

public sealed class GELU : Module<Tensor, Tensor>
{
    protected override Tensor ForwardCore(Tensor input) => F.Gelu(input);
}

public sealed class Sigmoid : Module<Tensor, Tensor>
{
    protected override Tensor ForwardCore(Tensor input) => input.Sigmoid();
}

public sealed class Tanh : Module<Tensor, Tensor>
{
    protected override Tensor ForwardCore(Tensor input) => input.Tanh();
}

public sealed class Identity : Module<Tensor, Tensor>
{
    protected override Tensor ForwardCore(Tensor input) => input.Alias();
}

public sealed class Flatten : Module<Tensor, Tensor>
{
    private readonly long _start, _end;

    public long StartDim => _start;
    public long EndDim => _end;

    public Flatten(long startDim = 1, long endDim = -1) => (_start, _end) = (startDim, endDim);

    protected override Tensor ForwardCore(Tensor input) => input.Flatten(_start, _end);
}

/// <summary>Modules applied in order; children are named "0", "1", ... as in torch.nn.Sequential.</summary>
public sealed class Sequential : Module<Tensor, Tensor>, IConvBatchNormPairs
{
    private readonly List<Module<Tensor, Tensor>> _layers = new();

    public Sequential(params Module<Tensor, Tensor>[] modules)
    {
        foreach (var m in modules) Append(m);
    }

    public Sequential Append(Module<Tensor, Tensor> module)
    {
        RegisterModule(_layers.Count.ToString(CultureInfo.InvariantCulture), module);
        _layers.Add(module);
        return this;
    }

    public int Count => _layers.Count;

    public Module<Tensor, Tensor> this[int i] => _layers[i];

    public void Replace(int i, Module<Tensor, Tensor> module) => ReplaceChild(i.ToString(CultureInfo.InvariantCulture), module);

    protected override void OnChildReplaced(string name, Module replacement) =>
        _layers[int.Parse(name, CultureInfo.InvariantCulture)] = replacement as Module<Tensor, Tensor>
            ?? throw new ArgumentException($"a Sequential layer must map a tensor to a tensor, not {replacement.GetType().Name}");

    /// <summary>Each convolution directly followed by a batch norm: the batch norm sees exactly its output.</summary>
    public IEnumerable<(string conv, string batchNorm)> ConvBatchNormPairs()
    {
        for (int i = 0; i + 1 < _layers.Count; i++)
            if (_layers[i] is Conv2d && _layers[i + 1] is BatchNorm2d)
                yield return (i.ToString(CultureInfo.InvariantCulture), (i + 1).ToString(CultureInfo.InvariantCulture));
    }

    protected override Tensor ForwardCore(Tensor input)
    {
        // Intermediates are released as soon as the next layer has consumed them; autograd keeps what it needs.
        Tensor x = input;
        for (int i = 0; i < _layers.Count; i++)
        {
            var y = _layers[i].Forward(x);
            if (!ReferenceEquals(x, input)) x.Dispose();
            x = y;
        }
        return ReferenceEquals(x, input) ? input.Alias() : x;
    }
}
