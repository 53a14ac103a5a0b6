using InSitu.Torch;
using InSitu.Torch.NN;

namespace InSitu.Models;

/// <summary>A network by name, buildable for a given input and class count (for `insitu model summary`).</summary>
public sealed record CatalogNetwork(string Name, string Description, long[] DefaultInput, Func<long[], int, Module<Tensor, Tensor>> Create,
    bool FixedInputChannels = true);

/// <summary>The networks of the toolkit by name, each with the input its published figures refer to.</summary>
public static class NetworkCatalog
{
    public static IReadOnlyList<CatalogNetwork> All { get; } = new CatalogNetwork[]
    {
        new("regnety_200mf", "RegNetY-200MF (d 13, w0 24, wa 36.44, wm 2.49, g 8, b 1, SE 0.25; published: 3.2 M parameters, " +
            "0.2 GFLOPs)", [3, 224, 224], (input, classes) => new RegNet(RegNetDesign.Y200MF, (int)input[0], classes), false),
        new("resnet_paper", "the 4-block ResNet of the two-step stage method (width 64)", [1, 128, 320],
            (input, classes) => new ResNet(ResNetConfig.Paper((int)input[0], classes, (int)input[1], (int)input[2])), false),
        new("resnet18_cifar", "the published stage code's CIFAR-style ResNet-18", [1, 128, 320],
            (input, classes) => new ResNet(ResNetConfig.CifarResNet18((int)input[0], classes, (int)input[1], (int)input[2])), false),
        new("mobilenet_v2", "MobileNetV2 1.0, Keras layout with nsfwjs's head", [3, 224, 224], (_, classes) => new MobileNetV2(classes)),
        new("vgg16", "VGG16, torchvision layout", [3, 224, 224], (_, classes) => new Vgg16(classes)),
        new("resnet18", "ResNet-18, torchvision layout", [3, 224, 224],
            (_, classes) => new ImageNetResNet(ImageNetResNetConfig.ResNet18(classes))),
        new("resnet50", "ResNet-50, torchvision layout", [3, 224, 224],
            (_, classes) => new ImageNetResNet(ImageNetResNetConfig.ResNet50(classes))),
    };

    public static CatalogNetwork? Find(string name) => All.FirstOrDefault(n => n.Name == name);

    /// <summary>The network built for <paramref name="input"/> (C x H x W; null: its default) and its complexity there.</summary>
    public static (CatalogNetwork Network, ModelComplexity Complexity) Summarise(string name, long[]? input, int classes)
    {
        var network = Find(name)
            ?? throw new ArgumentException($"unknown network '{name}' (known: {string.Join(", ", All.Select(n => n.Name))})");
        if (classes < 1) throw new ArgumentException("--classes must be at least 1");
        var shape = input ?? network.DefaultInput;
        if (shape.Length != 3 || shape.Any(d => d < 1)) throw new ArgumentException("the input must be C x H x W, e.g. 3x224x224");
        if (network.FixedInputChannels && shape[0] != network.DefaultInput[0])
            throw new ArgumentException($"{name} takes {network.DefaultInput[0]} input channel(s), not {shape[0]}");
        using var model = network.Create(shape, classes);
        return (network, ModelComplexity.Measure(model, shape));
    }
}
