using InSitu.Models;
using InSitu.Torch;

namespace InSitu.Tests.Models;

/// <summary>
/// The recurrent U-Net against its PyTorch twin (reference/torch_unet.py, fixture by tests/fixtures/make_unet_fixture.py):
/// names and order of the state dict, every step's logits, the input gradient through the recurrence; and its
/// receptive radius, size checks and MC dropout.
/// </summary>
public class UNetTests
{
    private static UNet Tiny() => new(new UNetConfig(InChannels: 2, Classes: 3, Depth: 2, BaseWidth: 4, Steps: 2, Dropout: 0));

    [Fact]
    public void StateDictNamesFollowPyTorchsTwin()
    {
        var c = FixtureCase.Load("unet_tiny.json", "unet_tiny");
        using var net = Tiny();
        Assert.Equal(c.Strs("keys"), net.StateDict().Select(e => e.name).ToArray());
    }

    [Fact]
    public void EveryStepAndTheInputGradientMatchPyTorch()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var c = FixtureCase.Load("unet_tiny.json", "unet_tiny");
        using var net = Tiny();
        net.Load(FixtureCase.PathOf("unet_tiny.pt"));
        net.Eval();
        using (Autograd.NoGrad())
        {
            var steps = net.ForwardSteps(c.T("x"));
            Assert.Equal(2, steps.Count);
            Close.Equal(c, "step1", steps[0]);
            Close.Equal(c, "step2", steps[1]);
        }
        net.Train();
        var x = c.T("x").Clone().RequiresGrad_();
        var r = c.T("r");
        Tensor? loss = null;
        foreach (var s in net.ForwardSteps(x)) loss = loss is null ? s.Mul(r).Sum() : loss.Add(s.Mul(r).Sum());
        loss!.Backward();
        Close.Equal(c, "train_grad_x", x.Grad);
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(3, 1)]
    [InlineData(2, 2)]
    public void AnOutputPixelSeesNoFartherThanTheReceptiveRadius(int depth, int steps)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        TorchRuntime.ManualSeed(5);
        using var net = new UNet(new UNetConfig(1, 2, depth, 4, steps, 0));
        net.Eval();
        const int size = 192;
        var x = Factory.Randn(new long[] { 1, 1, size, size });
        using var noGrad = Autograd.NoGrad();
        var before = net.Forward(x).ToFloatArray();
        int cy = size / 2, cx = size / 2;
        var poked = x.Clone();
        poked.Narrow(2, cy, 1).Narrow(3, cx, 1).Fill_(50);
        var after = net.Forward(poked).ToFloatArray();
        int radius = net.Config.ReceptiveRadius, farthest = 0;
        for (int k = 0; k < 2; k++)
            for (int y = 0; y < size; y++)
                for (int xx = 0; xx < size; xx++)
                {
                    int i = (k * size + y) * size + xx;
                    if (Math.Abs(before[i] - after[i]) > 1e-5) farthest = Math.Max(farthest, Math.Max(Math.Abs(y - cy), Math.Abs(xx - cx)));
                }
        Assert.InRange(farthest, 1, radius);
    }

    [Fact]
    public void OutputsKeepTheInputSizeAndOddSizesAreRefused()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        using var net = new UNet(new UNetConfig(3, 4, Depth: 3, BaseWidth: 4, Steps: 3));
        var steps = net.ForwardSteps(Factory.Randn(new long[] { 2, 3, 24, 16 }));
        Assert.Equal(3, steps.Count);
        Assert.All(steps, s => Assert.Equal(new long[] { 2, 4, 24, 16 }, s.Shape));
        var e = Assert.Throws<TorchException>(() => net.Forward(Factory.Randn(new long[] { 1, 3, 20, 16 })));
        Assert.Contains("divisible by 8", e.Message);
        Assert.Throws<ArgumentException>(() => new UNet(new UNetConfig(1, 1)));
    }

    [Fact]
    public void McDropoutSamplesDifferWhileEvalModeIsDeterministic()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        using var net = new UNet(new UNetConfig(1, 2, Depth: 2, BaseWidth: 4, Dropout: 0.5));
        net.Eval();
        var x = Factory.Randn(new long[] { 1, 1, 16, 16 });
        using var noGrad = Autograd.NoGrad();
        Assert.Equal(net.Forward(x).ToFloatArray(), net.Forward(x).ToFloatArray());
        net.McDropout = true;
        Assert.NotEqual(net.Forward(x).ToFloatArray(), net.Forward(x).ToFloatArray());
    }
}
