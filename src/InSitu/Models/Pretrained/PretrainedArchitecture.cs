using InSitu.Torch.NN;

namespace InSitu.Models.Pretrained;

/// <summary>A network InSitu has pretrained weights for, and where they come from.</summary>
public sealed record PretrainedArchitecture(
    string Name, string Network, string Source, Func<int, Module> Create, string ClassifierKey, int DefaultClasses)
{
    public static readonly PretrainedArchitecture MobileNetV2 = new("mobilenet_v2", "MobileNetV2 (Keras layout)",
        $"npm package {NsfwjsPackage.Spec}: `insitu weights get mobilenet_v2`",
        classes => new MobileNetV2(classes), "dense_3.weight", 5);

    public static readonly PretrainedArchitecture Vgg16 = new("vgg16", "VGG16 (torchvision layout)",
        "a torchvision state dict, e.g. vgg16-397923af.pth: `insitu weights import vgg16 FILE`",
        classes => new Vgg16(classes), "classifier.6.weight", 1000);

    public static readonly PretrainedArchitecture ResNet18 = new("resnet18", "ResNet-18 (torchvision layout)",
        "a torchvision state dict, e.g. resnet18-f37072fd.pth: `insitu weights import resnet18 FILE`",
        classes => new ImageNetResNet(ImageNetResNetConfig.ResNet18(classes)), "fc.weight", 1000);

    public static readonly PretrainedArchitecture ResNet50 = new("resnet50", "ResNet-50 (torchvision layout)",
        "a torchvision state dict, e.g. resnet50-0676ba61.pth: `insitu weights import resnet50 FILE`",
        classes => new ImageNetResNet(ImageNetResNetConfig.ResNet50(classes)), "fc.weight", 1000);

    public static IReadOnlyList<PretrainedArchitecture> All { get; } = [MobileNetV2, Vgg16, ResNet18, ResNet50];

    /// <summary>Whether the weights are imported from a torchvision file (rather than fetched).</summary>
    public bool FromTorchVision => this != MobileNetV2;

    public static PretrainedArchitecture Find(string name) =>
        All.FirstOrDefault(a => a.Name == name)
        ?? throw new ArgumentException($"unknown architecture '{name}' (known: {string.Join(", ", All.Select(a => a.Name))})");
}
