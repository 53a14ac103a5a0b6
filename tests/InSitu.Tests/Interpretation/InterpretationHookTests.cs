using InSitu.Interpretation;
using InSitu.Models;
using InSitu.Torch.NN;

namespace InSitu.Tests.Interpretation;

/// <summary>Guided backpropagation and Grad-CAM built on module hooks.</summary>
public class InterpretationHookTests
{
    /// <summary>A small paper ResNet in eval mode with random batch-norm statistics (fresh ones are the identity).</summary>
    internal static ResNet TinyResNet(ulong seed)
    {
        TorchRuntime.ManualSeed(seed);
        var net = new ResNet(ResNetConfig.Paper(1, 3, 32, 32, baseWidth: 4));
        BatchNormStatistics.Randomise(net);
        net.Eval();
        return net;
    }

    [Fact]
    public void GuidedBackpropOnAResNetGuidesEveryReluAndStopsWithItsHandle()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        using var net = TinyResNet(7);
        var x = Factory.Randn(new long[] { 2, 1, 32, 32 });
        var classes = new long[] { 0, 2 };
        var (plain, _) = Attribution.Gradient(net.Forward, x, classes);

        // The reference: the same rule put on every ReLU output as a tensor hook (how the engine-level version did it)
        var relus = net.NamedModules().Select(m => m.module).OfType<ReLU>().ToList();
        Assert.Equal(1 + 2 * 4, relus.Count);  // the stem and two per block
        var tensorHooks = new List<GradientHook>();
        var forwardHooks = relus.Select(r => r.RegisterForwardHook((_, _, y) =>
        {
            tensorHooks.Add(y.RegisterHook(g => g.ClampMin(0)));
            return null;
        })).ToList();
        var (reference, _) = Attribution.Gradient(net.Forward, x, classes);
        forwardHooks.ForEach(h => h.Dispose());
        tensorHooks.ForEach(h => h.Dispose());

        Tensor guided;
        using (GuidedBackprop.Attach(net)) (guided, _) = Attribution.Gradient(net.Forward, x, classes);
        Assert.Equal(reference.ToFloatArray(), guided.ToFloatArray());
        Assert.NotEqual(plain.ToFloatArray(), guided.ToFloatArray());
        var (after, _) = Attribution.Gradient(net.Forward, x, classes);
        Assert.Equal(plain.ToFloatArray(), after.ToFloatArray());
    }

    [Fact]
    public void GradCamOnAResNetIsItsLastStageWeightedByTheMeanGradient()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        using var net = TinyResNet(8);
        var x = Factory.Randn(new long[] { 3, 1, 32, 32 });

        // Directly, through the ResNet's own calls (how Grad-CAM was computed before hooks)
        Tensor direct;
        long[] predicted;
        using (Autograd.EnableGrad())
        {
            var map = net.FeatureMap(x);
            var logits = net.Head.Forward(net.Pool(map));
            predicted = logits.ArgMax(1).ToLongArray();
            var g = Autograd.Grad(new[] { logits.Gather(1, Tensor.FromArray(predicted, 3, 1)).Sum() }, new[] { map })[0]!;
            var cam = map.Mul(g.Mean(new long[] { 2, 3 }, keepDim: true)).Sum(1, keepDim: true).Relu();
            direct = F.InterpolateBilinear(cam, 32, 32).Squeeze(1);
        }
        var (gradCam, used) = Attribution.GradCam(net, x);
        Assert.Equal(predicted, used);
        Assert.Equal(new long[] { 3, 32, 32 }, gradCam.Shape);
        Assert.Equal(direct.ToFloatArray(), gradCam.ToFloatArray());
        Assert.Contains(gradCam.ToFloatArray(), v => v > 0);
        Assert.All(net.Parameters(), p => Assert.Null(p.Grad));  // the model's gradients are left alone
    }

    [Fact]
    public void GradCamWorksOnAnyModelGivenItsFeatureLayer()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        TorchRuntime.ManualSeed(9);
        var features = new ReLU();
        using var model = new Sequential(new Conv2d(1, 4, 3, padding: 1), new ReLU(), new Conv2d(4, 6, 3, stride: 2, padding: 1), features,
            new AdaptiveAvgPool2d(1, 1), new Flatten(), new Linear(6, 3));
        model.Eval();
        var x = Factory.Randn(new long[] { 2, 1, 12, 10 });
        var classes = new long[] { 2, 1 };

        Tensor direct;
        using (Autograd.EnableGrad())
        {
            var map = model[3].Forward(model[2].Forward(model[1].Forward(model[0].Forward(x))));
            var logits = model[6].Forward(model[5].Forward(model[4].Forward(map)));
            var g = Autograd.Grad(new[] { logits.Gather(1, Tensor.FromArray(classes, 2, 1)).Sum() }, new[] { map })[0]!;
            var cam = map.Mul(g.Mean(new long[] { 2, 3 }, keepDim: true)).Sum(1, keepDim: true).Relu();
            direct = F.InterpolateBilinear(cam, 12, 10).Squeeze(1);
        }
        var (gradCam, used) = Attribution.GradCam(model, features, x, classes);
        Assert.Equal(classes, used);
        Assert.Equal(direct.ToFloatArray(), gradCam.ToFloatArray());

        using var elsewhere = new ReLU();
        var ex = Assert.Throws<InvalidOperationException>(() => Attribution.GradCam(model, elsewhere, x));
        Assert.Contains("ran 0 times", ex.Message);
    }
}
