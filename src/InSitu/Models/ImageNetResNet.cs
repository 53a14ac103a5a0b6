using System.Globalization;
using InSitu.Torch;
using InSitu.Torch.NN;

namespace InSitu.Models;

/// <summary>Depth of a torchvision ResNet: basic blocks (18) or bottlenecks (50), and blocks per stage.</summary>
public sealed record ImageNetResNetConfig(string Name, bool Bottleneck, int[] BlocksPerStage, int Classes = 1000)
{
    public static ImageNetResNetConfig ResNet18(int classes = 1000) => new("resnet18", false, [2, 2, 2, 2], classes);

    public static ImageNetResNetConfig ResNet50(int classes = 1000) => new("resnet50", true, [3, 4, 6, 3], classes);

    /// <summary>Channels out of each block: 64, 128, 256, 512, times 4 for bottlenecks.</summary>
    public int Expansion => Bottleneck ? 4 : 1;

    public int FeatureWidth => 512 * Expansion;
}

/// <summary>
/// torchvision's BasicBlock: 3x3 conv (stride), BN, ReLU, 3x3 conv, BN, plus the shortcut (a 1x1 conv + BN,
/// "downsample", where the shape changes), then ReLU.
/// </summary>
public sealed class ImageNetBasicBlock : Module<Tensor, Tensor>
{
    private readonly Conv2d _conv1, _conv2;
    private readonly BatchNorm2d _bn1, _bn2;
    private readonly ReLU _relu;
    private readonly Sequential? _downsample;

    public ImageNetBasicBlock(int inPlanes, int planes, int stride)
    {
        _conv1 = RegisterModule("conv1", new Conv2d(inPlanes, planes, 3, stride, 1, bias: false));
        _bn1 = RegisterModule("bn1", new BatchNorm2d(planes));
        _relu = RegisterModule("relu", new ReLU());
        _conv2 = RegisterModule("conv2", new Conv2d(planes, planes, 3, 1, 1, bias: false));
        _bn2 = RegisterModule("bn2", new BatchNorm2d(planes));
        if (stride != 1 || inPlanes != planes)
            _downsample = RegisterModule("downsample",
                new Sequential(new Conv2d(inPlanes, planes, 1, stride, bias: false), new BatchNorm2d(planes)));
    }

    protected override Tensor ForwardCore(Tensor x)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var y = _bn2.Forward(_conv2.Forward(_relu.Forward(_bn1.Forward(_conv1.Forward(x)))));
        var identity = _downsample is null ? x : _downsample.Forward(x);
        return scope.MoveToOuter(_relu.Forward(y + identity));
    }
}

/// <summary>
/// torchvision's Bottleneck (ResNet v1.5: the stride sits on the 3x3 convolution): 1x1 conv to the width, BN, ReLU,
/// 3x3 conv (stride), BN, ReLU, 1x1 conv to 4x the width, BN, plus the shortcut, then ReLU.
/// </summary>
public sealed class ImageNetBottleneck : Module<Tensor, Tensor>
{
    private readonly Conv2d _conv1, _conv2, _conv3;
    private readonly BatchNorm2d _bn1, _bn2, _bn3;
    private readonly ReLU _relu;
    private readonly Sequential? _downsample;

    public ImageNetBottleneck(int inPlanes, int planes, int stride)
    {
        _conv1 = RegisterModule("conv1", new Conv2d(inPlanes, planes, 1, bias: false));
        _bn1 = RegisterModule("bn1", new BatchNorm2d(planes));
        _conv2 = RegisterModule("conv2", new Conv2d(planes, planes, 3, stride, 1, bias: false));
        _bn2 = RegisterModule("bn2", new BatchNorm2d(planes));
        _conv3 = RegisterModule("conv3", new Conv2d(planes, planes * 4, 1, bias: false));
        _bn3 = RegisterModule("bn3", new BatchNorm2d(planes * 4));
        _relu = RegisterModule("relu", new ReLU());
        if (stride != 1 || inPlanes != planes * 4)
            _downsample = RegisterModule("downsample",
                new Sequential(new Conv2d(inPlanes, planes * 4, 1, stride, bias: false), new BatchNorm2d(planes * 4)));
    }

    protected override Tensor ForwardCore(Tensor x)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var y = _relu.Forward(_bn1.Forward(_conv1.Forward(x)));
        y = _relu.Forward(_bn2.Forward(_conv2.Forward(y)));
        y = _bn3.Forward(_conv3.Forward(y));
        var identity = _downsample is null ? x : _downsample.Forward(x);
        return scope.MoveToOuter(_relu.Forward(y + identity));
    }
}

/// <summary>
/// ResNet-18 / ResNet-50 in torchvision's layout (<c>torchvision.models.resnet18/50</c>), for ImageNet-size images:
/// 7x7 stride-2 stem, 3x3 stride-2 max pool, four stages (64, 128, 256, 512 planes; strides 1, 2, 2, 2), global
/// average pooling, <c>fc</c>. Not the CIFAR-style <see cref="ResNet"/> of the stage workflow. Its state dict is
/// torchvision's, so its weight files load as they are. Input as for <see cref="Vgg16"/>
/// (<see cref="ImageNetNormalization"/> for torchvision's ImageNet weights).
/// <para>
/// Tap points: conv1, bn1, relu, maxpool, every block (layer1.0, layer1.1, ...), avgpool (N x C x 1 x 1) and fc; each
/// stage's name (layer1 ... layer4) is an alias of its last block.
/// </para>
/// </summary>
public sealed class ImageNetResNet : TappedNetwork
{
    public ImageNetResNetConfig Config { get; }

    private readonly Conv2d _conv1;
    private readonly BatchNorm2d _bn1;
    private readonly ReLU _relu;
    private readonly MaxPool2d _maxpool;
    private readonly List<(string name, Module<Tensor, Tensor> block)> _blocks = new();
    private readonly AdaptiveAvgPool2d _avgpool;
    private readonly Linear _fc;

    public ImageNetResNet(ImageNetResNetConfig config)
    {
        Config = config;
        if (config.Classes < 1) throw new ArgumentException($"{config.Name} needs at least one class");
        _conv1 = RegisterModule("conv1", new Conv2d(3, 64, 7, 2, 3, bias: false));
        _bn1 = RegisterModule("bn1", new BatchNorm2d(64));
        _relu = RegisterModule("relu", new ReLU());
        _maxpool = RegisterModule("maxpool", new MaxPool2d(3, 2, 1));
        TapList.AddRange(["conv1", "bn1", "relu", "maxpool"]);
        int inPlanes = 64;
        for (int s = 0; s < 4; s++)
        {
            int planes = 64 << s;
            var stage = new Sequential();
            for (int b = 0; b < config.BlocksPerStage[s]; b++)
            {
                int stride = b == 0 && s > 0 ? 2 : 1;
                stage.Append(config.Bottleneck
                    ? new ImageNetBottleneck(inPlanes, planes, stride)
                    : new ImageNetBasicBlock(inPlanes, planes, stride));
                inPlanes = planes * config.Expansion;
                var name = string.Create(CultureInfo.InvariantCulture, $"layer{s + 1}.{b}");
                _blocks.Add((name, stage[b]));
                TapList.Add(name);
            }
            AliasMap[$"layer{s + 1}"] = TapList[^1];
            RegisterModule($"layer{s + 1}", stage);
        }
        _avgpool = RegisterModule("avgpool", new AdaptiveAvgPool2d(1, 1));
        _fc = RegisterModule("fc", new Linear(config.FeatureWidth, config.Classes));
        TapList.AddRange(["avgpool", "fc"]);
    }

    protected override string NetworkName => Config.Name;

    private protected override Tensor? Run(Tensor input, TapRecorder? recorder)
    {
        var s = input.Shape;
        if (s.Length != 4 || s[1] != 3)
            throw new TorchException($"{Config.Name} takes RGB images [N, 3, H, W], got {Tensor.FormatShape(s)}");
        var x = input;
        // applies one layer, frees what it consumed, and says whether every requested tap is now in
        bool Step(string name, Func<Tensor, Tensor> layer)
        {
            var y = layer(x);
            TapRecorder.Release(recorder, x, input);
            x = y;
            return recorder is not null && recorder.Wants(name) && recorder.Offer(name, y);
        }
        if (Step("conv1", _conv1.Forward) || Step("bn1", _bn1.Forward) || Step("relu", _relu.Forward) || Step("maxpool", _maxpool.Forward))
            return null;
        foreach (var (name, block) in _blocks)
            if (Step(name, block.Forward)) return null;
        if (Step("avgpool", _avgpool.Forward)) return null;
        if (Step("fc", t => _fc.Forward(t.Flatten(1)))) return null;
        return x;
    }
}
