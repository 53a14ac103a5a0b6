using InSitu.Models;
using InSitu.Torch;
using InSitu.Torch.NN;

namespace InSitu.Interpretation;

/// <summary>
/// Why a network predicts what it predicts (METHODS.md section 3), batched:
/// saliency, the gradient of the class score o_c with respect to the input pixels (Simonyan et al.);
/// guided backpropagation, the same gradient with only positive gradients passed back through each ReLU and only
/// where its input was positive; Grad-CAM, a feature layer's activation maps (a ResNet's last stage) weighted by
/// their mean gradient.
/// Maps are N x H x W, non-negative; the class is the predicted one unless given.
/// </summary>
public static class Attribution
{
    /// <summary>d o_c / d x for every image (N x C x H x W) and the classes c used.</summary>
    public static (Tensor gradient, long[] classes) Gradient(Func<Tensor, Tensor> model, Tensor images, long[]? classes = null)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        using var grad = Autograd.EnableGrad();
        var x = images.Detach().RequiresGrad_();
        var logits = model(x);
        var c = Classes(logits, classes, images);
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

    /// <summary>
    /// Guided backpropagation through the model's ReLU modules (<see cref="GuidedBackprop"/>): the positive part of
    /// the guided gradient, the largest over channels.
    /// </summary>
    public static (Tensor map, long[] classes) Guided(Module<Tensor, Tensor> model, Tensor images, long[]? classes = null)
    {
        Tensor g;
        long[] c;
        using (GuidedBackprop.Attach(model)) (g, c) = Gradient(model.Forward, images, classes);
        using (g)
        {
            using var positive = g.ClampMin(0);
            return (positive.Max(1).values, c);
        }
    }

    /// <summary>Grad-CAM on the model's feature layer (for a ResNet, the last residual stage).</summary>
    public static (Tensor map, long[] classes) GradCam<TModel>(TModel model, Tensor images, long[]? classes = null)
        where TModel : Module<Tensor, Tensor>, IHasFeatureLayer =>
        GradCam(model, model.FeatureLayer, images, classes);

    /// <summary>
    /// Grad-CAM (Selvaraju et al.) on any model: the feature layer's activation maps A_k, captured by a forward hook,
    /// weighted by the spatial mean of d o_c / d A_k, summed over k, rectified and upsampled to the input size.
    /// The feature layer must run exactly once in the model's forward pass.
    /// </summary>
    public static (Tensor map, long[] classes) GradCam(Module<Tensor, Tensor> model, Module<Tensor, Tensor> featureLayer, Tensor images,
        long[]? classes = null)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        using var grad = Autograd.EnableGrad();
        var maps = new List<Tensor>();
        try
        {
            Tensor logits;
            // Our own handle: the model may free its intermediates before its forward pass returns.
            using (featureLayer.RegisterForwardHook((_, _, output) => { maps.Add(output.Alias().DetachFromScope()); return null; }))
                logits = model.Forward(images.Detach());
            if (maps.Count != 1)
                throw new InvalidOperationException(
                    $"the feature layer ran {maps.Count} times in the model's forward pass; Grad-CAM needs exactly one");
            var map = maps[0];
            var c = Classes(logits, classes, images);
            using var index = Tensor.FromArray(c, c.Length, 1);
            // The gradient with respect to the captured map is what a backward hook on the layer would see; asking for
            // it directly stops backward at the layer and leaves the parameters' gradients alone.
            var g = Autograd.Grad(new[] { logits.Gather(1, index).Sum() }, new[] { map }, allowUnused: true)[0]
                ?? throw new InvalidOperationException("the model's output does not depend on its feature layer");
            var weights = g.Mean(new long[] { 2, 3 }, keepDim: true);
            var cam = map.Mul(weights).Sum(1, keepDim: true).Relu();
            var up = F.InterpolateBilinear(cam, images.Size(2), images.Size(3)).Squeeze(1);
            return (scope.MoveToOuter(up.Detach()), c);
        }
        finally
        {
            foreach (var m in maps) m.Dispose();
        }
    }

    private static long[] Classes(Tensor logits, long[]? classes, Tensor images)
    {
        var c = classes ?? logits.ArgMax(1).ToLongArray();
        if (c.Length != images.Size(0)) throw new ArgumentException($"{c.Length} classes for {images.Size(0)} images");
        return c;
    }

    /// <summary>Each map divided by its own maximum (all-zero maps stay zero).</summary>
    public static Tensor Normalise(Tensor maps)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var max = maps.Flatten(1).Max(1).values.Clamp(1e-12, null).View(-1, 1, 1);
        return scope.MoveToOuter(maps.Div(max));
    }
}
