using System.Globalization;
using InSitu.Torch;
using InSitu.Torch.NN;

namespace InSitu.Models;

/// <summary>
/// MobileNetV2 at width 1.0 in the layout of keras.applications.MobileNetV2 (Keras 2.2.4), with the classification
/// head of nsfwjs's model (7x7 average pooling, Dense 256 + ReLU, Dense 128 + ReLU, Dense over the classes), so that
/// the weights nsfwjs 4.4.0 ships load as they are (<c>insitu weights get mobilenet_v2</c>).
/// <list type="bullet">
/// <item>Keras's padding: 3x3 stride-1 convolutions pad 1 on every side ('same'); the stride-2 ones are 'valid' after a
/// ZeroPadding2D of (h mod 2, 1) rows and (w mod 2, 1) columns (Keras's correct_pad, computed from each layer's own
/// input size, as Keras would for a model built at that size: (0, 1) everywhere at 224x224).</item>
/// <item>Batch norm with epsilon 1e-3 and Keras's momentum 0.999 (PyTorch's 0.001); ReLU6; depthwise convolutions;
/// inverted residual blocks with a shortcut where the block keeps its size and width.</item>
/// <item>Input: N x 3 x H x W, RGB, scaled to [0, 1] (nsfwjs divides the pixels by 255 and subtracts nothing; Keras's
/// own ImageNet preprocessing, [-1, 1], is not what this network was fine-tuned with). Tap points take any size; the
/// head needs a 7x7 final grid, i.e. 224x224 images.</item>
/// </list>
/// Parameter names are Keras's layer names (<c>block_3_expand.weight</c>, <c>block_3_expand_BN.running_var</c>, ...),
/// and so are the tap points (<see cref="TappedNetwork.TapPoints"/>). Short aliases: stem, block_0 ... block_16 (each
/// block's output), Keras's average_pooling2d_1, flatten_1, dense_3. The forward pass returns the logits (before the
/// softmax that Keras's dense_3 applies).
/// </summary>
public sealed class MobileNetV2 : TappedNetwork
{
    /// <summary>The image size the head was built for (a 7x7 final grid).</summary>
    public const int HeadImageSize = 224;

    /// <summary>Channels of the last convolution, the width of the pooled features.</summary>
    public const int FeatureWidth = 1280;

    // (expansion, output channels, blocks, stride of the first block): the paper's Table 2 at width 1.0
    private static readonly (int expansion, int channels, int blocks, int stride)[] Stages =
        [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)];

    private const double Eps = 1e-3, Momentum = 1e-3;

    private sealed record Block(
        string Prefix, Conv2d? Expand, BatchNorm2d? ExpandBn, ReLU6? ExpandRelu, Conv2d Depthwise, BatchNorm2d DepthwiseBn,
        ReLU6 DepthwiseRelu, Conv2d Project, BatchNorm2d ProjectBn, int Stride, string? AddName, string OutputName);

    private readonly Conv2d _conv1, _convLast;
    private readonly BatchNorm2d _bnConv1, _bnLast;
    private readonly ReLU6 _conv1Relu, _outRelu;
    private readonly List<Block> _blocks = new();
    private readonly Linear _dense1, _dense2, _dense3;
    private readonly Dropout _dropout2, _dropout3;

    public int Classes { get; }

    public MobileNetV2(int classes = 5)
    {
        if (classes < 1) throw new ArgumentException("MobileNetV2 needs at least one class");
        Classes = classes;
        _conv1 = RegisterModule("Conv1", new Conv2d(3, 32, 3, stride: 2, bias: false));
        _bnConv1 = RegisterModule("bn_Conv1", Bn(32));
        _conv1Relu = RegisterModule("Conv1_relu", new ReLU6());
        TapList.Add("Conv1_relu");
        AliasMap["stem"] = "Conv1_relu";

        int inChannels = 32, index = 0;
        foreach (var (expansion, channels, blocks, stride) in Stages)
        {
            for (int b = 0; b < blocks; b++, index++)
                _blocks.Add(AddBlock(index, inChannels, inChannels * expansion, channels, b == 0 ? stride : 1, out inChannels));
        }

        _convLast = RegisterModule("Conv_1", new Conv2d(inChannels, FeatureWidth, 1, bias: false));
        _bnLast = RegisterModule("Conv_1_bn", Bn(FeatureWidth));
        _outRelu = RegisterModule("out_relu", new ReLU6());
        _dense1 = RegisterModule("dense_1", new Linear(FeatureWidth, 256));
        _dropout2 = RegisterModule("dropout_2", new Dropout(0.5));
        _dense2 = RegisterModule("dense_2", new Linear(256, 128));
        _dropout3 = RegisterModule("dropout_3", new Dropout(0.25));
        _dense3 = RegisterModule("dense_3", new Linear(128, classes));
        TapList.AddRange(["out_relu", "pool", "dense_1", "dense_2", "logits", "predictions"]);
        AliasMap["average_pooling2d_1"] = AliasMap["flatten_1"] = "pool";
        AliasMap["dense_3"] = "predictions";
    }

    private static BatchNorm2d Bn(int channels) => new(channels, Eps, Momentum);

    private Block AddBlock(int index, int inChannels, int expanded, int outChannels, int stride, out int channelsAfter)
    {
        // Keras names the first block (no expansion) "expanded_conv"; the others "block_N".
        var prefix = index == 0 ? "expanded_conv_" : $"block_{index}_";
        Conv2d? expand = null;
        BatchNorm2d? expandBn = null;
        ReLU6? expandRelu = null;
        if (index > 0)
        {
            expand = RegisterModule(prefix + "expand", new Conv2d(inChannels, expanded, 1, bias: false));
            expandBn = RegisterModule(prefix + "expand_BN", Bn(expanded));
            expandRelu = RegisterModule(prefix + "expand_relu", new ReLU6());
            TapList.Add(prefix + "expand_relu");
        }
        else expanded = inChannels;
        var depthwise = RegisterModule(prefix + "depthwise",
            new Conv2d(expanded, expanded, 3, stride: stride, padding: stride == 1 ? 1 : 0, groups: expanded, bias: false));
        var depthwiseBn = RegisterModule(prefix + "depthwise_BN", Bn(expanded));
        var depthwiseRelu = RegisterModule(prefix + "depthwise_relu", new ReLU6());
        var project = RegisterModule(prefix + "project", new Conv2d(expanded, outChannels, 1, bias: false));
        var projectBn = RegisterModule(prefix + "project_BN", Bn(outChannels));
        TapList.Add(prefix + "depthwise_relu");
        TapList.Add(prefix + "project_BN");
        string? addName = null;
        if (stride == 1 && inChannels == outChannels)
        {
            addName = $"block_{index}_add";
            TapList.Add(addName);
        }
        var output = addName ?? prefix + "project_BN";
        AliasMap["block_" + index.ToString(CultureInfo.InvariantCulture)] = output;
        channelsAfter = outChannels;
        return new Block(prefix, expand, expandBn, expandRelu, depthwise, depthwiseBn, depthwiseRelu, project, projectBn, stride,
            addName, output);
    }

    /// <summary>The trunk's output map (out_relu): N x 1280 x h x w, for any input size.</summary>
    public Tensor FeatureMap(Tensor input) => Taps(input, ["out_relu"])["out_relu"];

    // Runs as far as the recorder needs (the whole network without one) and returns the logits, or null if it stopped early.
    protected override string NetworkName => "MobileNetV2";

    private protected override Tensor? Run(Tensor input, TapRecorder? recorder)
    {
        var s = input.Shape;
        if (s.Length != 4 || s[1] != 3)
            throw new TorchException($"MobileNetV2 takes RGB images [N, 3, H, W] scaled to [0, 1], got {Tensor.FormatShape(s)}");
        Tensor x;
        using (var stage = new TapScope(recorder))
        {
            x = stage.Keep(stage.Tap("Conv1_relu", _conv1Relu.Forward(_bnConv1.Forward(_conv1.Forward(KerasPad(input))))));
            if (stage.Done) return null;
        }
        foreach (var block in _blocks)
        {
            var next = RunBlock(block, x, recorder, out bool done);
            TapRecorder.Release(recorder, x, input);
            x = next;
            if (done) return null;
        }
        using (var stage = new TapScope(recorder))
        {
            var map = stage.Tap("out_relu", _outRelu.Forward(_bnLast.Forward(_convLast.Forward(x))));
            TapRecorder.Release(recorder, x, input);
            if (stage.Done) return null;
            var (h, w) = (map.Shape[2], map.Shape[3]);
            if (h != 7 || w != 7)
                throw new TorchException($"MobileNetV2's classification head takes {HeadImageSize}x{HeadImageSize} images (a 7x7 " +
                    $"final grid), got a {h}x{w} grid from {s[2]}x{s[3]} images; tap points take any size");
            // Keras: AveragePooling2D(7x7) then Flatten; the 1x1 grid makes channels-last and channels-first order agree.
            var pooled = stage.Tap("pool", F.AvgPool2d(map, [7, 7]).Flatten(1));
            if (stage.Done) return null;
            var d1 = stage.Tap("dense_1", _dense1.Forward(pooled).Relu());
            if (stage.Done) return null;
            var d2 = stage.Tap("dense_2", _dense2.Forward(_dropout2.Forward(d1)).Relu());
            if (stage.Done) return null;
            var logits = stage.Tap("logits", _dense3.Forward(_dropout3.Forward(d2)));
            if (stage.Done) return null;
            stage.Tap("predictions", logits.Softmax(1));
            return stage.Done ? null : stage.Keep(logits);
        }
    }

    private static Tensor RunBlock(Block b, Tensor input, TapRecorder? recorder, out bool done)
    {
        using var stage = new TapScope(recorder);
        done = false;
        var x = input;
        if (b.Expand is not null)
        {
            x = stage.Tap(b.Prefix + "expand_relu", b.ExpandRelu!.Forward(b.ExpandBn!.Forward(b.Expand.Forward(x))));
            if (done = stage.Done) return stage.Keep(x);
        }
        if (b.Stride == 2) x = KerasPad(x);
        x = stage.Tap(b.Prefix + "depthwise_relu", b.DepthwiseRelu.Forward(b.DepthwiseBn.Forward(b.Depthwise.Forward(x))));
        if (done = stage.Done) return stage.Keep(x);
        x = stage.Tap(b.Prefix + "project_BN", b.ProjectBn.Forward(b.Project.Forward(x)));
        if (b.AddName is not null)
        {
            if (done = stage.Done) return stage.Keep(x);
            x = stage.Tap(b.AddName, x + input);
        }
        done = stage.Done;
        return stage.Keep(x);
    }

    /// <summary>Keras's ZeroPadding2D(correct_pad(x, 3)) before a stride-2 'valid' 3x3 convolution.</summary>
    private static Tensor KerasPad(Tensor x)
    {
        long h = x.Shape[2], w = x.Shape[3];
        return x.Pad([w % 2, 1, h % 2, 1]);
    }
}
