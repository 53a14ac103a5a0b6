using System.Globalization;
using InSitu.Torch;
using InSitu.Torch.NN;

namespace InSitu.Models;

/// <summary>
/// Squeeze-and-excitation (Hu et al. 2018) as RegNetY uses it: the channels' global means pass a bottleneck of
/// <c>squeeze</c> units (ReLU), then a sigmoid gives each channel its scale.
/// </summary>
public sealed class SqueezeExcitation : Module<Tensor, Tensor>
{
    private readonly Conv2d _fc1, _fc2;

    public SqueezeExcitation(int channels, int squeeze)
    {
        _fc1 = RegisterModule("fc1", new Conv2d(channels, squeeze, 1));
        _fc2 = RegisterModule("fc2", new Conv2d(squeeze, channels, 1));
    }

    protected override Tensor ForwardCore(Tensor x)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var scale = _fc2.Forward(_fc1.Forward(x.Mean(new long[] { 2, 3 }, keepDim: true)).Relu()).Sigmoid();
        return scope.MoveToOuter(x.Mul(scale));
    }
}

/// <summary>
/// RegNet's X/Y block f (the paper's Fig. 4): 1x1 conv to the bottleneck width, 3x3 group conv (stride s), SE on the
/// bottleneck for RegNetY (its width a share of the block's input width, as in pycls), 1x1 conv to the output width;
/// every conv followed by batch norm, ReLU after the first two.
/// </summary>
public sealed class BottleneckTransform : Module<Tensor, Tensor>
{
    private readonly Sequential _a, _b, _c;
    private readonly SqueezeExcitation? _se;

    public BottleneckTransform(int inWidth, RegNetStage stage, int stride, double seRatio)
    {
        int w = stage.BottleneckWidth;
        _a = RegisterModule("a", new Sequential(new Conv2d(inWidth, w, 1, bias: false), new BatchNorm2d(w), new ReLU()));
        _b = RegisterModule("b", new Sequential(new Conv2d(w, w, 3, stride, 1, groups: stage.Groups, bias: false), new BatchNorm2d(w),
            new ReLU()));
        int squeeze = (int)Math.Round(seRatio * inWidth, MidpointRounding.ToEven);
        if (squeeze > 0) _se = RegisterModule("se", new SqueezeExcitation(w, squeeze));
        _c = RegisterModule("c", new Sequential(new Conv2d(w, stage.Width, 1, bias: false), new BatchNorm2d(stage.Width)));
    }

    protected override Tensor ForwardCore(Tensor x)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var y = _b.Forward(_a.Forward(x));
        if (_se is not null) y = _se.Forward(y);
        return scope.MoveToOuter(_c.Forward(y));
    }
}

/// <summary>relu(proj(x) + f(x)): a residual bottleneck block; proj (1x1 conv + BN) only where the width or size changes.</summary>
public sealed class RegNetBlock : Module<Tensor, Tensor>
{
    private readonly Sequential? _proj;
    private readonly BottleneckTransform _f;

    public RegNetBlock(int inWidth, RegNetStage stage, int stride, double seRatio)
    {
        if (inWidth != stage.Width || stride != 1)
            _proj = RegisterModule("proj", new Sequential(new Conv2d(inWidth, stage.Width, 1, stride, bias: false),
                new BatchNorm2d(stage.Width)));
        _f = RegisterModule("f", new BottleneckTransform(inWidth, stage, stride, seRatio));
        RegisterModule("activation", new ReLU());
    }

    protected override Tensor ForwardCore(Tensor x)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var shortcut = _proj is null ? x : _proj.Forward(x);
        return scope.MoveToOuter(_f.Forward(x).Add_(shortcut).Relu());
    }
}

/// <summary>Children run in order under their own names (torchvision's OrderedDict Sequentials: "block1", "block1-0", ...).</summary>
public sealed class NamedSequence : Module<Tensor, Tensor>
{
    private readonly List<Module<Tensor, Tensor>> _modules = new();

    public void Add(string name, Module<Tensor, Tensor> module) => _modules.Add(RegisterModule(name, module));

    public IReadOnlyList<Module<Tensor, Tensor>> Modules => _modules;

    protected override Tensor ForwardCore(Tensor x)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        foreach (var m in _modules) x = m.Forward(x);
        return scope.MoveToOuter(x);
    }
}

/// <summary>
/// RegNet (Radosavovic et al. 2020) built from a <see cref="RegNetDesign"/>: a stem (3x3 conv, stride 2, 32 channels),
/// the design's stages of <see cref="RegNetBlock"/>s (the first block of each with stride 2), global average pooling and
/// one fully connected layer. Module names follow torchvision's RegNet (stem, trunk_output.block1.block1-0.f.a.0, ..., fc),
/// so its state dicts load either way. The number of input channels is free: the FlyExpress paper feeds grey images
/// through a 1x1 conv to 3 channels before a 3-channel stem; a 1-channel stem computes the same family of functions
/// with one layer less.
/// </summary>
public sealed class RegNet : Module<Tensor, Tensor>, IHasFeatureLayer
{
    private readonly Sequential _stem;
    private readonly NamedSequence _trunk;
    private readonly Linear? _fc;

    /// <param name="classes">Outputs of the fully connected head; 0 leaves the head out (the forward pass returns the features).</param>
    public RegNet(RegNetDesign design, int inChannels = 3, int classes = 1000)
    {
        if (inChannels < 1 || classes < 0) throw new ArgumentException("RegNet needs an input channel and classes >= 0");
        Design = design;
        InChannels = inChannels;
        Stages = design.Stages();
        _stem = RegisterModule("stem", new Sequential(new Conv2d(inChannels, design.StemWidth, 3, 2, 1, bias: false),
            new BatchNorm2d(design.StemWidth), new ReLU()));
        _trunk = RegisterModule("trunk_output", new NamedSequence());
        int width = design.StemWidth;
        for (int s = 0; s < Stages.Count; s++)
        {
            var stage = new NamedSequence();
            string name = "block" + (s + 1).ToString(CultureInfo.InvariantCulture);
            for (int b = 0; b < Stages[s].Depth; b++)
            {
                stage.Add($"{name}-{b.ToString(CultureInfo.InvariantCulture)}", new RegNetBlock(width, Stages[s], b == 0 ? 2 : 1,
                    design.SeRatio));
                width = Stages[s].Width;
            }
            _trunk.Add(name, stage);
        }
        FeatureWidth = width;
        RegisterModule("avgpool", new AdaptiveAvgPool2d(1, 1));
        if (classes > 0) _fc = RegisterModule("fc", new Linear(width, classes));
        Initialise();
    }

    public RegNetDesign Design { get; }
    public int InChannels { get; }
    public IReadOnlyList<RegNetStage> Stages { get; }

    /// <summary>Width of the pooled features (368 for RegNetY-200MF).</summary>
    public int FeatureWidth { get; }

    /// <summary>The fully connected head; null for a headless network.</summary>
    public Linear? Head => _fc;

    /// <summary>The last stage: its output is the activation map Grad-CAM weighs.</summary>
    public Module<Tensor, Tensor> FeatureLayer => _trunk.Modules[^1];

    /// <summary>The last stage's activation map, N x <see cref="FeatureWidth"/> x h x w (about 1/32 of the input size).</summary>
    public Tensor FeatureMap(Tensor x)
    {
        var s = x.Shape;
        if (s.Length != 4 || s[1] != InChannels)
            throw new TorchException($"this RegNet takes images [N, {InChannels}, H, W], got {Tensor.FormatShape(s)}");
        using var scope = TorchRuntime.NewDisposeScope();
        return scope.MoveToOuter(_trunk.Forward(_stem.Forward(x)));
    }

    /// <summary>The globally average-pooled features, N x <see cref="FeatureWidth"/>.</summary>
    public Tensor Features(Tensor x)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        return scope.MoveToOuter(FeatureMap(x).Mean(new long[] { 2, 3 }));
    }

    protected override Tensor ForwardCore(Tensor x)
    {
        if (_fc is null) return Features(x);
        using var scope = TorchRuntime.NewDisposeScope();
        return scope.MoveToOuter(_fc.Forward(Features(x)));
    }

    /// <summary>As torchvision and pycls: convolutions He-normal on fan-out, batch norm 1 and 0, the classifier N(0, 0.01).</summary>
    private void Initialise()
    {
        foreach (var (_, module) in NamedModules())
        {
            if (module is Conv2d conv)
            {
                Init.KaimingNormal_(conv.Weight, fanOut: true, nonlinearity: "relu");
                if (conv.Bias is { } b) Init.Constant_(b, 0);
            }
        }
        if (_fc is null) return;
        Init.Normal_(_fc.Weight, 0, 0.01);
        if (_fc.Bias is { } bias) Init.Constant_(bias, 0);
    }
}
