using System.Globalization;
using InSitu.Torch;
using InSitu.Torch.NN;

namespace InSitu.Models;

/// <summary>
/// A fully convolutional U-Net (Ronneberger et al. 2015) with the recurrence of seed 003 (METHODS.md §6).
/// <see cref="Depth"/> poolings, <see cref="BaseWidth"/> channels at full resolution doubling per level, 'same'
/// padding so the output has the input's size (which must be a multiple of <see cref="Alignment"/>).
/// <see cref="Steps"/> T &gt; 1 feeds the previous step's class probabilities back as <see cref="Classes"/> extra
/// input channels (uniform 1/K before the first step); T = 1 is the plain U-Net with no extra channels.
/// <see cref="Dropout"/> is applied to the bottleneck's output and each decoder block's input, and can be kept on at
/// inference for MC-dropout uncertainty.
/// </summary>
public sealed record UNetConfig(int InChannels, int Classes, int Depth = 3, int BaseWidth = 16, int Steps = 1, double Dropout = 0.1)
{
    /// <summary>Input sizes must be multiples of this (2^depth), and tile origins too for tiles to see what the whole image sees.</summary>
    public int Alignment => 1 << Depth;

    /// <summary>
    /// How far (pixels) an output pixel can see, an upper bound: per level l, two 3x3 convolutions (2 * 2^l each
    /// side), a 2x2 pooling and a 2x2 up-convolution (2^l each); the bottleneck's two convolutions (2 * 2^depth);
    /// times T, since each step sees the previous step's output. A tile cut with this margin gives, in its
    /// interior, exactly what a pass over the whole image gives.
    /// </summary>
    public int ReceptiveRadius => Steps * (6 * ((1 << Depth) - 1) + 2 * (1 << Depth));

    public void Validate()
    {
        if (InChannels < 1) throw new ArgumentException($"a U-Net needs at least 1 input channel (got {InChannels})");
        if (Classes < 2) throw new ArgumentException($"a segmentation needs at least 2 classes (got {Classes})");
        if (Depth is < 1 or > 6) throw new ArgumentException($"depth must be 1..6 (got {Depth})");
        if (BaseWidth < 1) throw new ArgumentException($"base_width must be at least 1 (got {BaseWidth})");
        if (Steps is < 1 or > 10) throw new ArgumentException($"steps (the recurrence's T) must be 1..10 (got {Steps})");
        if (Dropout is < 0 or >= 1) throw new ArgumentException($"dropout must be in [0, 1) (got {Dropout})");
    }
}

/// <summary>The U-Net of <see cref="UNetConfig"/>: <see cref="Module{TIn,TOut}.Forward"/> gives the last step's logits.</summary>
public sealed class UNet : Module<Tensor, Tensor>
{
    private readonly Sequential[] _encoders;
    private readonly Sequential _bottleneck;
    private readonly ConvTranspose2d[] _ups;
    private readonly Sequential[] _decoders;
    private readonly Conv2d _head;

    public UNet(UNetConfig config)
    {
        config.Validate();
        Config = config;
        int inputs = config.InChannels + (config.Steps > 1 ? config.Classes : 0);
        _encoders = new Sequential[config.Depth];
        _ups = new ConvTranspose2d[config.Depth];
        _decoders = new Sequential[config.Depth];
        int width = config.BaseWidth;
        for (int l = 0; l < config.Depth; l++)
        {
            _encoders[l] = RegisterModule(Name("enc", l), Block(l == 0 ? inputs : width / 2, width));
            width *= 2;
        }
        _bottleneck = RegisterModule("bottleneck", Block(width / 2, width));
        for (int l = config.Depth - 1; l >= 0; l--)
        {
            int w = config.BaseWidth << l;
            _ups[l] = RegisterModule(Name("up", l), new ConvTranspose2d(2 * w, w, 2, stride: 2));
            _decoders[l] = RegisterModule(Name("dec", l), Block(2 * w, w));
        }
        _head = RegisterModule("head", new Conv2d(config.BaseWidth, config.Classes, 1));
    }

    public UNetConfig Config { get; }

    /// <summary>Keeps dropout on in eval mode (batch norms still use their running statistics): MC-dropout sampling.</summary>
    public bool McDropout { get; set; }

    private static string Name(string kind, int level) => kind + level.ToString(CultureInfo.InvariantCulture);

    private static Sequential Block(int inputs, int outputs) => new(
        new Conv2d(inputs, outputs, 3, padding: 1, bias: false), new BatchNorm2d(outputs), new ReLU(),
        new Conv2d(outputs, outputs, 3, padding: 1, bias: false), new BatchNorm2d(outputs), new ReLU());

    protected override Tensor ForwardCore(Tensor input) => ForwardSteps(input)[^1];

    /// <summary>
    /// The logits of every step t = 1..T, each N x K x H x W. Step t sees the image and softmax(logits of step t-1);
    /// gradients flow through the recurrence, so a loss on every step trains the refinement.
    /// </summary>
    public IReadOnlyList<Tensor> ForwardSteps(Tensor input)
    {
        var s = input.Shape;
        if (s.Length != 4 || s[1] != Config.InChannels)
            throw new TorchException($"the U-Net expects input [N, {Config.InChannels}, H, W], got {Tensor.FormatShape(s)}");
        if (s[2] % Config.Alignment != 0 || s[3] % Config.Alignment != 0)
            throw new TorchException($"the U-Net of depth {Config.Depth} needs a height and width divisible by " +
                $"{Config.Alignment}, got {s[3]}x{s[2]}");
        var steps = new List<Tensor>(Config.Steps);
        if (Config.Steps == 1)
        {
            steps.Add(Once(input));
            return steps;
        }
        var previous = Factory.Full(new[] { s[0], Config.Classes, s[2], s[3] }, 1.0 / Config.Classes, input.DType, input.Device);
        for (int t = 0; t < Config.Steps; t++)
        {
            var logits = Once(Tensor.Cat(new[] { input, previous }, 1));
            steps.Add(logits);
            previous = logits.Softmax(1);
        }
        return steps;
    }

    private Tensor Once(Tensor x)
    {
        bool drop = Training || McDropout;
        var skips = new Tensor[Config.Depth];
        for (int l = 0; l < Config.Depth; l++)
        {
            skips[l] = _encoders[l].Forward(x);
            x = F.MaxPool2d(skips[l], new long[] { 2, 2 });
        }
        x = _bottleneck.Forward(x);
        if (Config.Dropout > 0) x = F.Dropout(x, Config.Dropout, drop);
        for (int l = Config.Depth - 1; l >= 0; l--)
        {
            x = Tensor.Cat(new[] { skips[l], _ups[l].Forward(x) }, 1);
            x = _decoders[l].Forward(Config.Dropout > 0 && l > 0 ? F.Dropout(x, Config.Dropout, drop) : x);
        }
        return _head.Forward(x);
    }
}
