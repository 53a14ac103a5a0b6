using InSitu.Torch;

namespace InSitu.Models;

/// <summary>
/// The input normalisation torchvision's ImageNet weights (VGG, ResNet) were trained with: RGB scaled to [0, 1],
/// then per channel (x - mean) / std with mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225).
/// </summary>
public static class ImageNetNormalization
{
    public static readonly float[] Mean = [0.485f, 0.456f, 0.406f];
    public static readonly float[] Std = [0.229f, 0.224f, 0.225f];

    /// <summary>N x 3 x H x W RGB in [0, 1] to the normalised input.</summary>
    public static Tensor Apply(Tensor rgb01)
    {
        var s = rgb01.Shape;
        if (s.Length != 4 || s[1] != 3)
            throw new TorchException($"ImageNet normalisation takes RGB [N, 3, H, W], got {Tensor.FormatShape(s)}");
        using var scope = TorchRuntime.NewDisposeScope();
        var mean = Tensor.FromArray(Mean, 1, 3, 1, 1).To(rgb01.Device, rgb01.DType);
        var std = Tensor.FromArray(Std, 1, 3, 1, 1).To(rgb01.Device, rgb01.DType);
        return scope.MoveToOuter((rgb01 - mean) / std);
    }
}
