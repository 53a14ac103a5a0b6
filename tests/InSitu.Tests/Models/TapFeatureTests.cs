using InSitu.Models;

namespace InSitu.Tests.Models;

public class TapFeatureTests
{
    [Fact]
    public void TapsAreFlattenedChannelMajorAndConcatenatedInTheOrderAsked()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        TorchRuntime.ManualSeed(1);
        using var net = new MobileNetV2();
        net.Eval();
        var x = Factory.Rand(new long[] { 2, 3, 32, 48 });
        using var noGrad = Autograd.NoGrad();
        var taps = net.Taps(x, ["block_2", "block_5"]);
        var features = TapFeatures.Extract(net, x, ["block_5", "block_2"], null);
        var expected = Tensor.Cat([taps["block_5"].Flatten(1), taps["block_2"].Flatten(1)], 1);
        Assert.Equal(expected.Shape, features.Shape);
        Assert.Equal(0, features.Sub(expected).Abs().Max().Item());
        // maps larger than the grid are average-pooled down to it; smaller ones stay as they are
        var pooled = TapFeatures.Extract(net, x, ["block_2", "block_5"], [4, 4]);
        Assert.Equal(24 * 16 + 32 * 16, pooled.Size(1)); // block_2 is 8 x 12 and block_5 4 x 6 at 32 x 48
        var manual = F.AdaptiveAvgPool2d(taps["block_2"], [4, 4]).Flatten(1);
        Assert.True(pooled.Narrow(1, 0, 24 * 16).Sub(manual).Abs().Max().Item() < 1e-6);
    }
}
