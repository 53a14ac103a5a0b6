using System.Globalization;
using InSitu.Torch;
using InSitu.Torch.NN;

namespace InSitu.Models;

/// <summary>
/// VGG16 in torchvision's layout (<c>torchvision.models.vgg16</c>): <c>features</c> (13 3x3 convolutions with ReLU, five
/// 2x2 max pools), <c>avgpool</c> (adaptive average pooling to 7x7), <c>classifier</c> (Linear 25088-4096, ReLU,
/// Dropout, Linear 4096-4096, ReLU, Dropout, Linear 4096-classes). Its state dict is torchvision's, so
/// <c>vgg16-397923af.pth</c> loads as it is. Input: N x 3 x H x W (torchvision's ImageNet weights expect RGB in [0, 1]
/// normalised by mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225); <see cref="NormalizeImageNet"/>).
/// <para>
/// Tap points follow the 36-layer numbering of seed 001 (Fig. 2; MatConvNet's VGG16, counting convolutions, ReLUs,
/// pools and fully connected layers separately, from 1): layer n &lt;= 31 is <c>features[n - 1]</c>; 32 fc6 =
/// classifier[0], 33 relu6 = classifier[1], 34 fc7 = classifier[3], 35 relu7 = classifier[4], 36 fc8 = classifier[6]
/// (torchvision's dropouts, classifier[2] and [5], are not counted). So 17 = pool3 (256x28x28 at 224x224), 21 =
/// relu4_2 (512x28x28), 24 = pool4, 30 = relu5_3. Each tap answers to its name (conv1_1 ... fc8), its number and its
/// torchvision module path (features.16); <c>avgpool</c> is a tap too, without a number.
/// </para>
/// </summary>
public sealed class Vgg16 : TappedNetwork
{
    // torchvision's configuration "D": channels of each convolution, 0 for a max pool
    private static readonly int[] Layout = [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0];

    private readonly Sequential _features, _classifier;
    private readonly AdaptiveAvgPool2d _avgpool;
    private readonly List<(string name, int number, string module)> _layers = new();

    public int Classes { get; }

    public Vgg16(int classes = 1000)
    {
        if (classes < 1) throw new ArgumentException("VGG16 needs at least one class");
        Classes = classes;
        _features = new Sequential();
        int inChannels = 3, block = 1, inBlock = 1;
        foreach (var channels in Layout)
        {
            var index = _features.Count.ToString(CultureInfo.InvariantCulture);
            if (channels == 0)
            {
                AddLayer($"pool{block}", "features." + index);
                _features.Append(new MaxPool2d(2, 2));
                block++;
                inBlock = 1;
                continue;
            }
            AddLayer($"conv{block}_{inBlock}", "features." + index);
            _features.Append(new Conv2d(inChannels, channels, 3, 1, 1));
            AddLayer($"relu{block}_{inBlock}", $"features.{_features.Count}");
            _features.Append(new ReLU());
            inChannels = channels;
            inBlock++;
        }
        _features = RegisterModule("features", _features);
        _avgpool = RegisterModule("avgpool", new AdaptiveAvgPool2d(7, 7));
        _classifier = RegisterModule("classifier", new Sequential(
            new Linear(512 * 7 * 7, 4096), new ReLU(), new Dropout(0.5),
            new Linear(4096, 4096), new ReLU(), new Dropout(0.5),
            new Linear(4096, classes)));
        foreach (var (name, module) in new[] { ("fc6", "classifier.0"), ("relu6", "classifier.1"), ("fc7", "classifier.3"),
            ("relu7", "classifier.4"), ("fc8", "classifier.6") })
            AddLayer(name, module);

        foreach (var (name, number, module) in _layers)
        {
            TapList.Add(name);
            AliasMap[number.ToString(CultureInfo.InvariantCulture)] = name;
            AliasMap[module] = name;
            if (name == "pool5") TapList.Add("avgpool");
        }
    }

    private void AddLayer(string name, string module) => _layers.Add((name, _layers.Count + 1, module));

    /// <summary>The 36 numbered layers: number (1-based, seed 001's), name and torchvision module path.</summary>
    public IReadOnlyList<(string name, int number, string module)> PaperLayers => _layers;

    /// <summary>RGB in [0, 1] to the normalisation torchvision's ImageNet weights were trained with.</summary>
    public static Tensor NormalizeImageNet(Tensor rgb01) => ImageNetNormalization.Apply(rgb01);

    protected override string NetworkName => "VGG16";

    private protected override Tensor? Run(Tensor input, TapRecorder? recorder)
    {
        var s = input.Shape;
        if (s.Length != 4 || s[1] != 3) throw new TorchException($"VGG16 takes RGB images [N, 3, H, W], got {Tensor.FormatShape(s)}");
        if (s[2] < 32 || s[3] < 32)
            throw new TorchException($"VGG16 needs images of at least 32x32 (five 2x2 poolings), got {s[2]}x{s[3]}");
        var x = input;
        int layer = 0;
        bool Offer(Tensor t) => recorder is not null && recorder.Wants(_layers[layer].name) && recorder.Offer(_layers[layer].name, t);
        for (int i = 0; i < _features.Count; i++, layer++)
        {
            var y = _features[i].Forward(x);
            TapRecorder.Release(recorder, x, input);
            x = y;
            if (Offer(x)) return null;
        }
        var pooled = _avgpool.Forward(x);
        TapRecorder.Release(recorder, x, input);
        x = pooled;
        if (recorder is not null && recorder.Wants("avgpool") && recorder.Offer("avgpool", x)) return null;
        var flat = x.Flatten(1);
        TapRecorder.Release(recorder, x, input);
        x = flat;
        for (int i = 0; i < _classifier.Count; i++)
        {
            var y = _classifier[i].Forward(x);
            TapRecorder.Release(recorder, x, input);
            x = y;
            if (_classifier[i] is Dropout) continue;
            if (Offer(x)) return null;
            layer++;
        }
        return x;
    }
}
