using InSitu.Torch;
using InSitu.Torch.NN;
using InSitu.Torch.Onnx;

namespace InSitu.Models;

/// <summary>
/// The two residual networks of METHODS.md §1, built from one description:
/// <see cref="ResNetConfig.Paper"/> (four residual blocks, identity shortcut in the first, stride 2 and 1x1-conv
/// shortcuts in blocks 2-4, 4x4 average pooling, one FC layer) and <see cref="ResNetConfig.CifarResNet18"/>
/// (the published code: 3x3 stem, stages 64/128/256/512 of [2,2,2,2] basic blocks, avg_pool2d(4), Linear).
/// The network is a feature extractor F (<see cref="Features"/>) and a linear head G (<see cref="Head"/>).
/// Parameter names follow the published code, so state dicts load in either direction.
/// </summary>
public sealed record ResNetConfig(
    int InChannels,
    int Classes,
    int Height,
    int Width,
    int StemWidth,
    int[] StageWidths,
    int[] BlocksPerStage,
    int[] StageStrides,
    int PoolSize = 4)
{
    /// <summary>The paper's network (seed 000, Fig. 3): one basic block per stage.</summary>
    public static ResNetConfig Paper(int inChannels, int classes, int height = 128, int width = 320, int baseWidth = 64) =>
        new(inChannels, classes, height, width, baseWidth,
            new[] { baseWidth, baseWidth * 2, baseWidth * 4, baseWidth * 8 }, new[] { 1, 1, 1, 1 }, new[] { 1, 2, 2, 2 });

    /// <summary>The published code's CIFAR-style ResNet-18.</summary>
    public static ResNetConfig CifarResNet18(int inChannels, int classes, int height = 128, int width = 320, int baseWidth = 64) =>
        new(inChannels, classes, height, width, baseWidth,
            new[] { baseWidth, baseWidth * 2, baseWidth * 4, baseWidth * 8 }, new[] { 2, 2, 2, 2 }, new[] { 1, 2, 2, 2 });

    public (int h, int w) FeatureGrid()
    {
        int h = Height, w = Width;
        foreach (var s in StageStrides)
        {
            h = (h - 1) / s + 1;
            w = (w - 1) / s + 1;
        }
        if (h < PoolSize || w < PoolSize)
            throw new ArgumentException($"input {Height}x{Width} is too small: the last stage is {h}x{w}, smaller than the " +
                $"{PoolSize}x{PoolSize} pooling");
        return (h / PoolSize, w / PoolSize);
    }

    public int FeatureSize
    {
        get
        {
            var (h, w) = FeatureGrid();
            return StageWidths[^1] * h * w;
        }
    }
}

/// <summary>Two 3x3 conv+BN+ReLU layers with a residual connection (1x1 conv+BN when the shape changes).</summary>
public sealed class BasicBlock : Module<Tensor, Tensor>, IConvBatchNormPairs, IOnnxExportable
{
    // Typed as modules, not Conv2d/BatchNorm2d: folding for inference replaces them by a fused conv and an identity.
    private Module<Tensor, Tensor> _conv1, _bn1, _conv2, _bn2;
    private readonly ReLU _relu1, _relu2;
    private readonly Sequential _shortcut;

    public BasicBlock(int inPlanes, int planes, int stride)
    {
        _conv1 = RegisterModule("conv1", new Conv2d(inPlanes, planes, 3, stride, 1, bias: false));
        _bn1 = RegisterModule("bn1", new BatchNorm2d(planes));
        _relu1 = RegisterModule("relu1", new ReLU());
        _conv2 = RegisterModule("conv2", new Conv2d(planes, planes, 3, 1, 1, bias: false));
        _bn2 = RegisterModule("bn2", new BatchNorm2d(planes));
        _shortcut = RegisterModule("shortcut", stride != 1 || inPlanes != planes
            ? new Sequential(new Conv2d(inPlanes, planes, 1, stride, bias: false), new BatchNorm2d(planes))
            : new Sequential());
        _relu2 = RegisterModule("relu2", new ReLU());
    }

    protected override Tensor ForwardCore(Tensor x)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var y = _relu1.Forward(_bn1.Forward(_conv1.Forward(x)));
        y = _bn2.Forward(_conv2.Forward(y));
        var s = _shortcut.Count == 0 ? x : _shortcut.Forward(x);
        return scope.MoveToOuter(_relu2.Forward(y.Add_(s)));
    }

    public IEnumerable<(string conv, string batchNorm)> ConvBatchNormPairs() => [("conv1", "bn1"), ("conv2", "bn2")];

    /// <summary><see cref="ForwardCore"/> as ONNX nodes (an empty shortcut exports as its input).</summary>
    public string ExportOnnx(OnnxExporter exporter, string input, string path)
    {
        ArgumentNullException.ThrowIfNull(exporter);
        string Child(string name, string x) => exporter.ExportChild(this, name, x, path);
        var y = Child("relu1", Child("bn1", Child("conv1", input)));
        y = Child("bn2", Child("conv2", y));
        var s = Child("shortcut", input);
        return Child("relu2", exporter.Node(OnnxExporter.Join(path, "add"), "Add", [y, s]));
    }

    /// <summary>The layers a fused inference plan is compiled from (<see cref="ResNetPlan"/>).</summary>
    internal (Module<Tensor, Tensor> conv1, Module<Tensor, Tensor> bn1, Module<Tensor, Tensor> conv2, Module<Tensor, Tensor> bn2,
        Sequential shortcut) Layers => (_conv1, _bn1, _conv2, _bn2, _shortcut);

    protected override void OnChildReplaced(string name, Module replacement)
    {
        switch (name, replacement)
        {
            case ("conv1", Module<Tensor, Tensor> m): _conv1 = m; break;
            case ("bn1", Module<Tensor, Tensor> m): _bn1 = m; break;
            case ("conv2", Module<Tensor, Tensor> m): _conv2 = m; break;
            case ("bn2", Module<Tensor, Tensor> m): _bn2 = m; break;
            default: throw new ArgumentException($"BasicBlock does not support replacing '{name}' by {replacement.GetType().Name}");
        }
    }
}

/// <summary>F (stem + residual stages + average pooling) and G (one fully connected layer).</summary>
public sealed class ResNet : Module<Tensor, Tensor>, IFusable, IConvBatchNormPairs, IHasFeatureLayer, IOnnxExportable,
    IPlanCompilable
{
    public ResNetConfig Config { get; }
    private Module<Tensor, Tensor> _conv1, _bn1;
    private readonly ReLU _relu;
    private readonly List<Sequential> _stages = new();
    private Linear _head;

    public ResNet(ResNetConfig config)
    {
        Config = config;
        _ = config.FeatureGrid();
        _conv1 = RegisterModule("conv1", new Conv2d(config.InChannels, config.StemWidth, 3, 1, 1, bias: false));
        _bn1 = RegisterModule("bn1", new BatchNorm2d(config.StemWidth));
        _relu = RegisterModule("relu", new ReLU());
        int inPlanes = config.StemWidth;
        for (int s = 0; s < config.StageWidths.Length; s++)
        {
            var stage = new Sequential();
            for (int b = 0; b < config.BlocksPerStage[s]; b++)
            {
                stage.Append(new BasicBlock(inPlanes, config.StageWidths[s], b == 0 ? config.StageStrides[s] : 1));
                inPlanes = config.StageWidths[s];
            }
            _stages.Add(RegisterModule($"layer{s + 1}", stage));
        }
        _head = RegisterModule("linear", new Linear(config.FeatureSize, config.Classes));
    }

    public Linear Head => _head;

    internal (Module<Tensor, Tensor> conv, Module<Tensor, Tensor> bn) Stem => (_conv1, _bn1);
    internal IReadOnlyList<Sequential> Stages => _stages;

    /// <summary>The last residual stage: its output is the activation map Grad-CAM weighs.</summary>
    public Module<Tensor, Tensor> FeatureLayer => _stages[^1];

    /// <summary>F(x): the flattened pooled features that the head and the similarity loss read.</summary>
    public Tensor Features(Tensor x)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        return scope.MoveToOuter(Pool(FeatureMap(x)));
    }

    /// <summary>The last residual stage's activation map, before pooling (the output of <see cref="FeatureLayer"/>).</summary>
    public Tensor FeatureMap(Tensor x)
    {
        var s = x.Shape;
        if (s.Length != 4 || s[1] != Config.InChannels || s[2] != Config.Height || s[3] != Config.Width)
            throw new TorchException($"this model takes images [N, {Config.InChannels}, {Config.Height}, {Config.Width}], got " +
                $"{Tensor.FormatShape(s)}; " +
                "resize the images or build the model for this size");
        using var scope = TorchRuntime.NewDisposeScope();
        var y = FirstLayer(x);
        foreach (var stage in _stages) y = stage.Forward(y);
        return scope.MoveToOuter(y);
    }

    /// <summary>The stem's responses, relu(bn1(conv1(x))): the first-layer feature maps.</summary>
    public Tensor FirstLayer(Tensor x) => _relu.Forward(_bn1.Forward(_conv1.Forward(x)));

    /// <summary>Pooled and flattened: F(x) from the activation map.</summary>
    public Tensor Pool(Tensor featureMap) => F.AvgPool2d(featureMap, new long[] { Config.PoolSize, Config.PoolSize }).Flatten(1);

    protected override Tensor ForwardCore(Tensor x)
    {
        using var f = Features(x);
        return _head.Forward(f);
    }

    /// <summary>Replaces G by a fresh head with another number of outputs (step 1 -> step 2 of the two-step method).</summary>
    public void ReplaceHead(int classes)
    {
        var old = _head;
        ReplaceChild("linear", new Linear(Config.FeatureSize, classes));
        old.Dispose();
    }

    public IEnumerable<(string conv, string batchNorm)> ConvBatchNormPairs() => [("conv1", "bn1")];

    /// <summary>The forward pass (stem, stages, <see cref="Pool"/>, head) as ONNX nodes; the graph's input must be
    /// [N, InChannels, Height, Width], which the exported model's declared input shape enforces.</summary>
    public string ExportOnnx(OnnxExporter exporter, string input, string path)
    {
        ArgumentNullException.ThrowIfNull(exporter);
        string Child(string name, string x) => exporter.ExportChild(this, name, x, path);
        var y = Child("relu", Child("bn1", Child("conv1", input)));
        for (int s = 0; s < _stages.Count; s++) y = Child($"layer{s + 1}", y);
        long[] pool = [Config.PoolSize, Config.PoolSize];
        y = exporter.AveragePool(OnnxExporter.Join(path, "pool"), y, pool, pool, [0, 0]);
        y = exporter.Node(OnnxExporter.Join(path, "flatten"), "Flatten", [y], ("axis", 1L));
        return Child("linear", y);
    }

    protected override void OnChildReplaced(string name, Module replacement)
    {
        switch (name, replacement)
        {
            case ("conv1", Module<Tensor, Tensor> m): _conv1 = m; break;
            case ("bn1", Module<Tensor, Tensor> m): _bn1 = m; break;
            case ("linear", Linear head): _head = head; break;
            default: throw new ArgumentException($"ResNet does not support replacing '{name}' by {replacement.GetType().Name}");
        }
    }

    /// <summary>The eval-mode network as a fused oneDNN plan from images to logits (<see cref="ResNetPlan"/>).</summary>
    public InferencePlan CompilePlan(PlanPrecision precision, ConvAlgorithm algorithm) => ResNetPlan.Compile(this, precision, algorithm);

    /// <summary>Folds every batch norm into its convolution (<see cref="Fusion.FoldBatchNorms"/>); needs eval mode.</summary>
    public void FuseForInference()
    {
        if (Training) throw new InvalidOperationException("put the model in eval mode before fusing it for inference");
        Fusion.FoldBatchNorms(this);
    }
}
