using InSitu.Models;
using InSitu.Models.Pretrained;
using InSitu.Torch;
using InSitu.Torch.NN;

namespace InSitu.Workflows.Bags;

/// <summary>
/// The per-image CNN of the bag method (METHODS.md section 5): a backbone whose last map is globally average-pooled into the
/// image's features (368 for RegNetY-200MF, the "386-dimensional" features of the paper's text), and one fully connected
/// layer from them to one logit per attribute. Each image is trained with its bag's labels; the features feed the BiLSTM.
/// Input: grey images normalised by the loader, N x 1 x H x W.
/// </summary>
public sealed class ImageAttributeNetwork : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> _backbone;
    private readonly Linear _head;
    private readonly Func<Tensor, Tensor> _featureMap;

    public ImageAttributeNetwork(BagConfig config, int attributes)
    {
        ArgumentNullException.ThrowIfNull(config);
        Backbone = config.Backbone;
        switch (config.Backbone)
        {
            case BagBackbone.RegNetY200MF:
                var regnet = new RegNet(RegNetDesign.Y200MF, inChannels: 1, classes: 0);
                (_backbone, _featureMap, FeatureWidth) = (regnet, regnet.FeatureMap, regnet.FeatureWidth);
                break;
            case BagBackbone.ResNet:
                var resnet = new ResNet(ResNetConfig.Paper(1, 1, config.Height, config.Width, config.ResnetWidth));
                (_backbone, _featureMap, FeatureWidth) = (resnet, resnet.FeatureMap, resnet.Config.StageWidths[^1]);
                break;
            case BagBackbone.MobileNetV2:
                var mobile = config.Pretrained ? PretrainedMobileNet() : new MobileNetV2();
                // the weights expect RGB in [0, 1]: undo the loader's normalisation and repeat the grey channel
                float mean = config.Mean, std = config.Std;
                (_backbone, _featureMap, FeatureWidth) =
                    (mobile, x => mobile.FeatureMap(x.Mul(std).Add(mean).Expand(x.Size(0), 3, x.Size(2), x.Size(3))),
                        MobileNetV2.FeatureWidth);
                break;
            default:
                throw new ArgumentException($"unknown backbone {config.Backbone}");
        }
        RegisterModule("backbone", _backbone);
        _head = RegisterModule("head", new Linear(FeatureWidth, attributes));
        Attributes = attributes;
    }

    public BagBackbone Backbone { get; }
    public int FeatureWidth { get; }
    public int Attributes { get; }
    public Linear Head => _head;

    /// <summary>Pooled per-image features, N x <see cref="FeatureWidth"/>.</summary>
    public Tensor Features(Tensor x)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        return scope.MoveToOuter(_featureMap(x).Mean(new long[] { 2, 3 }));
    }

    protected override Tensor ForwardCore(Tensor x)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        return scope.MoveToOuter(_head.Forward(Features(x)));
    }

    private static MobileNetV2 PretrainedMobileNet()
    {
        var store = WeightsStore.Default();
        if (store.Find(PretrainedArchitecture.MobileNetV2.Name) is null)
            throw new InvalidOperationException($"the mobilenet_v2 backbone starts from stored weights, and {store.Folder} has none: " +
                "run `insitu weights get mobilenet_v2`, or set \"pretrained\": false in the config");
        return (MobileNetV2)store.Load(PretrainedArchitecture.MobileNetV2.Name);
    }
}
