using InSitu.Models;
using InSitu.Torch;

namespace InSitu.Interpretation;

/// <summary>
/// Why a network predicts what it predicts (METHODS.md section 3), batched:
/// saliency, the gradient of the class score o_c with respect to the input pixels (Simonyan et al.);
/// guided backpropagation, the same gradient with only positive gradients passed back through each ReLU and only
/// where its input was positive; Grad-CAM, the last stage's activation maps weighted by their mean gradient.
/// Maps are N x H x W, non-negative; the class is the predicted one unless given.
/// </summary>
public static class Attribution
{
    /// <summary>d o_c / d x for every image (N x C x H x W) and the classes c used.</summary>
    public static (Tensor gradient, long[] classes) Gradient(Func<Tensor, Tensor> model, Tensor images, long[]? classes = null, bool guided = false)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        using var grad = Autograd.EnableGrad();
        var x = images.Detach().RequiresGrad_();
        using var mode = guided ? GuidedBackprop.Enable() : null;
        var logits = model(x);
        var c = classes ?? logits.ArgMax(1).ToLongArray();
        if (c.Length != images.Size(0)) throw new ArgumentException($"{c.Length} classes for {images.Size(0)} images");
        using var index = Tensor.FromArray(c, c.Length, 1);
        var score = logits.Gather(1, index).Sum();
        var g = Autograd.Grad(new[] { score }, new[] { x })[0]!;
        return (scope.MoveToOuter(g), c);
    }

    /// <summary>Saliency: |d o_c / d x|, the largest over colour channels.</summary>
    public static (Tensor map, long[] classes) Saliency(Func<Tensor, Tensor> model, Tensor images, long[]? classes = null)
    {
        var (g, c) = Gradient(model, images, classes);
        using (g)
        {
            using var abs = g.Abs();
            return (abs.Max(1).values, c);
        }
    }

    /// <summary>Guided backpropagation: the positive part of the guided gradient, the largest over channels.</summary>
    public static (Tensor map, long[] classes) Guided(Func<Tensor, Tensor> model, Tensor images, long[]? classes = null)
    {
        var (g, c) = Gradient(model, images, classes, guided: true);
        using (g)
        {
            using var positive = g.ClampMin(0);
            return (positive.Max(1).values, c);
        }
    }

    /// <summary>Grad-CAM on the last residual stage, upsampled to the input size.</summary>
    public static (Tensor map, long[] classes) GradCam(ResNet net, Tensor images, long[]? classes = null)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        using var grad = Autograd.EnableGrad();
        var map = net.FeatureMap(images.Detach());
        var logits = net.Head.Forward(net.Pool(map));
        var c = classes ?? logits.ArgMax(1).ToLongArray();
        using var index = Tensor.FromArray(c, c.Length, 1);
        var g = Autograd.Grad(new[] { logits.Gather(1, index).Sum() }, new[] { map })[0]!;
        var weights = g.Mean(new long[] { 2, 3 }, keepDim: true);
        var cam = map.Mul(weights).Sum(1, keepDim: true).Relu();
        var up = F.InterpolateBilinear(cam, images.Size(2), images.Size(3)).Squeeze(1);
        return (scope.MoveToOuter(up.Detach()), c);
    }

    /// <summary>Each map divided by its own maximum (all-zero maps stay zero).</summary>
    public static Tensor Normalise(Tensor maps)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var max = maps.Flatten(1).Max(1).values.Clamp(1e-12, null).View(-1, 1, 1);
        return scope.MoveToOuter(maps.Div(max));
    }
}
