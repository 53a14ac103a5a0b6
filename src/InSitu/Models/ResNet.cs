using InSitu.Torch;
using InSitu.Torch.NN;

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
            throw new ArgumentException($"input {Height}x{Width} is too small: the last stage is {h}x{w}, smaller than the {PoolSize}x{PoolSize} pooling");
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

/// <summary>Folds a conv's following batch norm into it once; afterwards the pair is (fused conv, identity).</summary>
internal static class ConvBatchNorm
{
    public static (Conv2d conv, Module<Tensor, Tensor> bn) Fold(Conv2d conv, Module<Tensor, Tensor> bn, Action<Conv2d, Module<Tensor, Tensor>> replace)
    {
        if (bn is not BatchNorm2d b) return (conv, bn);
        var fused = Fusion.FoldBatchNorm(conv, b);
        var identity = new Identity();
        replace(fused, identity);
        conv.Dispose();
        b.Dispose();
        return (fused, identity);
    }
}

/// <summary>Two 3x3 conv+BN+ReLU layers with a residual connection (1x1 conv+BN when the shape changes).</summary>
public sealed class BasicBlock : Module<Tensor, Tensor>, IFusable
{
    private Conv2d conv1, conv2;
    private Module<Tensor, Tensor> bn1, bn2;
    private readonly Sequential shortcut;

    public BasicBlock(int inPlanes, int planes, int stride)
    {
        conv1 = RegisterModule("conv1", new Conv2d(inPlanes, planes, 3, stride, 1, bias: false));
        bn1 = RegisterModule("bn1", new BatchNorm2d(planes));
        conv2 = RegisterModule("conv2", new Conv2d(planes, planes, 3, 1, 1, bias: false));
        bn2 = RegisterModule("bn2", new BatchNorm2d(planes));
        shortcut = RegisterModule("shortcut", stride != 1 || inPlanes != planes
            ? new Sequential(new Conv2d(inPlanes, planes, 1, stride, bias: false), new BatchNorm2d(planes))
            : new Sequential());
    }

    public override Tensor Forward(Tensor x)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var y = bn1.Forward(conv1.Forward(x)).Relu();
        y = bn2.Forward(conv2.Forward(y));
        var s = shortcut.Count == 0 ? x : shortcut.Forward(x);
        return scope.MoveToOuter(y.Add_(s).Relu());
    }

    public void FuseForInference()
    {
        (conv1, bn1) = ConvBatchNorm.Fold(conv1, bn1, (c, b) => { ReplaceChild("conv1", c); ReplaceChild("bn1", b); });
        (conv2, bn2) = ConvBatchNorm.Fold(conv2, bn2, (c, b) => { ReplaceChild("conv2", c); ReplaceChild("bn2", b); });
        FuseSequential(shortcut);
    }

    internal static void FuseSequential(Sequential seq)
    {
        for (int i = 0; i + 1 < seq.Count; i++)
            if (seq[i] is Conv2d c)
            {
                int at = i;
                ConvBatchNorm.Fold(c, seq[i + 1], (fused, identity) => { seq.Replace(at, fused); seq.Replace(at + 1, identity); });
            }
    }
}

/// <summary>F (stem + residual stages + average pooling) and G (one fully connected layer).</summary>
public sealed class ResNet : Module<Tensor, Tensor>, IFusable
{
    public ResNetConfig Config { get; }
    private Conv2d conv1;
    private Module<Tensor, Tensor> bn1;
    private readonly List<Sequential> stages = new();
    private Linear head;

    public ResNet(ResNetConfig config)
    {
        Config = config;
        _ = config.FeatureGrid();
        conv1 = RegisterModule("conv1", new Conv2d(config.InChannels, config.StemWidth, 3, 1, 1, bias: false));
        bn1 = RegisterModule("bn1", new BatchNorm2d(config.StemWidth));
        int inPlanes = config.StemWidth;
        for (int s = 0; s < config.StageWidths.Length; s++)
        {
            var stage = new Sequential();
            for (int b = 0; b < config.BlocksPerStage[s]; b++)
            {
                stage.Append(new BasicBlock(inPlanes, config.StageWidths[s], b == 0 ? config.StageStrides[s] : 1));
                inPlanes = config.StageWidths[s];
            }
            stages.Add(RegisterModule($"layer{s + 1}", stage));
        }
        head = RegisterModule("linear", new Linear(config.FeatureSize, config.Classes));
    }

    public Linear Head => head;

    /// <summary>F(x): the flattened pooled features that the head and the similarity loss read.</summary>
    public Tensor Features(Tensor x)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        return scope.MoveToOuter(Pool(FeatureMap(x)));
    }

    /// <summary>The last residual stage's activation map, before pooling (what Grad-CAM weighs).</summary>
    public Tensor FeatureMap(Tensor x)
    {
        var s = x.Shape;
        if (s.Length != 4 || s[1] != Config.InChannels || s[2] != Config.Height || s[3] != Config.Width)
            throw new TorchException($"this model takes images [N, {Config.InChannels}, {Config.Height}, {Config.Width}], got {Tensor.FormatShape(s)}; " +
                "resize the images or build the model for this size");
        using var scope = TorchRuntime.NewDisposeScope();
        var y = FirstLayer(x);
        foreach (var stage in stages) y = stage.Forward(y);
        return scope.MoveToOuter(y);
    }

    /// <summary>The stem's responses, relu(bn1(conv1(x))): the first-layer feature maps.</summary>
    public Tensor FirstLayer(Tensor x) => bn1.Forward(conv1.Forward(x)).Relu();

    /// <summary>Pooled and flattened: F(x) from the activation map.</summary>
    public Tensor Pool(Tensor featureMap) => F.AvgPool2d(featureMap, new long[] { Config.PoolSize, Config.PoolSize }).Flatten(1);

    public override Tensor Forward(Tensor x)
    {
        using var f = Features(x);
        return head.Forward(f);
    }

    /// <summary>Replaces G by a fresh head with another number of outputs (step 1 -> step 2 of the two-step method).</summary>
    public void ReplaceHead(int classes)
    {
        var old = head;
        head = new Linear(Config.FeatureSize, classes);
        ReplaceChild("linear", head);
        old.Dispose();
    }

    public void FuseForInference()
    {
        if (Training) throw new InvalidOperationException("put the model in eval mode before fusing it for inference");
        (conv1, bn1) = ConvBatchNorm.Fold(conv1, bn1, (c, b) => { ReplaceChild("conv1", c); ReplaceChild("bn1", b); });
        foreach (var stage in stages)
            for (int i = 0; i < stage.Count; i++)
                ((BasicBlock)stage[i]).FuseForInference();
    }
}
