using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace LibTorch210.Bench;

/// <summary>
/// The two networks of src/InSitu/Models/ResNet.cs (and reference/torch_resnet.py) in TorchSharp modules:
/// <c>Paper</c> = ResNetConfig.Paper (one basic block per stage), <c>CifarResNet18</c> = ResNetConfig.CifarResNet18
/// (two per stage); 3x3 stem of width 64, stages 64/128/256/512 with strides 1/2/2/2, avg_pool2d(4), one Linear.
/// Same layers, shapes and order as InSitu's, so the two engines run the same arithmetic.
/// </summary>
public sealed class ResNet : nn.Module<Tensor, Tensor>
{
    private readonly ConvBatchNorm _stem;
    private readonly List<BasicBlock> _blocks = [];
    private readonly Linear _head;
    private const int Pool = 4;

    public ResNet(int inChannels, int classes, int[] blocksPerStage, int height = 128, int width = 320, int baseWidth = 64)
        : base(nameof(ResNet))
    {
        int[] widths = [baseWidth, baseWidth * 2, baseWidth * 4, baseWidth * 8];
        int[] strides = [1, 2, 2, 2];
        _stem = new ConvBatchNorm(inChannels, baseWidth, 3, 1, 1);
        register_module("stem", _stem);
        int inPlanes = baseWidth, h = height, w = width;
        for (int s = 0; s < widths.Length; s++)
        {
            for (int b = 0; b < blocksPerStage[s]; b++)
            {
                var block = new BasicBlock(inPlanes, widths[s], b == 0 ? strides[s] : 1);
                register_module($"layer{s + 1}_{b}", block);
                _blocks.Add(block);
                inPlanes = widths[s];
            }
            h = (h - 1) / strides[s] + 1;
            w = (w - 1) / strides[s] + 1;
        }
        _head = nn.Linear(widths[^1] * (h / Pool) * (w / Pool), classes);
        register_module("linear", _head);
    }

    public static ResNet Paper(int inChannels, int classes) => new(inChannels, classes, [1, 1, 1, 1]);

    public static ResNet CifarResNet18(int inChannels, int classes) => new(inChannels, classes, [2, 2, 2, 2]);

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = F.relu(_stem.forward(x));
        foreach (var block in _blocks) y = block.forward(y);
        y = F.avg_pool2d(y, Pool).flatten(1);
        return _head.forward(y).MoveToOuterDisposeScope();
    }

    private IEnumerable<ConvBatchNorm> Units() => new[] { _stem }.Concat(_blocks.SelectMany(b => b.Units()));

    /// <summary>Folds every batch norm into its convolution (eval statistics): w*g/sqrt(v+eps), b-m*g/sqrt(v+eps).</summary>
    public void FoldBatchNorms()
    {
        foreach (var u in Units()) u.Fold();
    }

    /// <summary>Gives every 4-D weight channels-last strides, as PyTorch's module.to(memory_format=channels_last).</summary>
    public void ToChannelsLast()
    {
        foreach (var u in Units()) u.ToChannelsLast();
    }
}

/// <summary>A residual block: conv-BN-ReLU, conv-BN, plus the identity or a 1x1 conv-BN shortcut, then ReLU.</summary>
public sealed class BasicBlock : nn.Module<Tensor, Tensor>
{
    private readonly ConvBatchNorm _first, _second;
    private readonly ConvBatchNorm? _shortcut;

    public BasicBlock(int inPlanes, int planes, int stride) : base(nameof(BasicBlock))
    {
        _first = new ConvBatchNorm(inPlanes, planes, 3, stride, 1);
        _second = new ConvBatchNorm(planes, planes, 3, 1, 1);
        register_module("first", _first);
        register_module("second", _second);
        if (stride != 1 || inPlanes != planes)
        {
            _shortcut = new ConvBatchNorm(inPlanes, planes, 1, stride, 0);
            register_module("shortcut", _shortcut);
        }
    }

    public IEnumerable<ConvBatchNorm> Units() => _shortcut is null ? [_first, _second] : [_first, _second, _shortcut];

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = _second.forward(F.relu(_first.forward(x)));
        var s = _shortcut is null ? x : _shortcut.forward(x);
        return F.relu(y.add_(s)).MoveToOuterDisposeScope();
    }
}

/// <summary>A bias-free convolution and its batch norm; after <see cref="Fold"/> one convolution with a bias.</summary>
public sealed class ConvBatchNorm : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d _conv;
    private readonly BatchNorm2d _bn;
    private readonly long _stride, _padding;
    private Tensor? _foldedWeight, _foldedBias;

    public ConvBatchNorm(int inPlanes, int planes, int kernel, int stride, int padding) : base(nameof(ConvBatchNorm))
    {
        _conv = nn.Conv2d(inPlanes, planes, kernel, stride: stride, padding: padding, bias: false);
        _bn = nn.BatchNorm2d(planes);
        _stride = stride;
        _padding = padding;
        register_module("conv", _conv);
        register_module("bn", _bn);
    }

    public override Tensor forward(Tensor x) => _foldedWeight is null
        ? _bn.forward(_conv.forward(x))
        : F.conv2d(x, _foldedWeight, _foldedBias, strides: [_stride, _stride], padding: [_padding, _padding]);

    public void Fold()
    {
        if (training) throw new InvalidOperationException("fold batch norms in eval mode");
        using var noGrad = no_grad();
        var scale = _bn.weight!.div(_bn.running_var!.add(_bn.eps).sqrt());
        _foldedWeight = _conv.weight!.mul(scale.reshape(-1, 1, 1, 1)).contiguous().DetachFromDisposeScope();
        _foldedBias = _bn.bias!.sub(_bn.running_mean!.mul(scale)).contiguous().DetachFromDisposeScope();
    }

    public void ToChannelsLast()
    {
        using var noGrad = no_grad();
        if (_foldedWeight is not null) _foldedWeight = Layout.ChannelsLast(_foldedWeight).DetachFromDisposeScope();
        _conv.weight!.set_(Layout.ChannelsLast(_conv.weight));
    }
}
