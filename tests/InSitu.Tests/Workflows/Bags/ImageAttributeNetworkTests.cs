using InSitu.Workflows.Bags;

namespace InSitu.Tests.Workflows.Bags;

/// <summary>Every backbone of the bag method gives per-image features and attribute logits for grey images.</summary>
public class ImageAttributeNetworkTests : TempFolderTest
{
    public static TheoryData<BagBackbone, int> Backbones => new()
    {
        { BagBackbone.RegNetY200MF, 368 }, { BagBackbone.ResNet, 16 * 8 }, { BagBackbone.MobileNetV2, 1280 },
    };

    [Theory]
    [MemberData(nameof(Backbones))]
    public void GreyImagesGiveFeaturesAndOneLogitPerAttribute(BagBackbone backbone, int width)
    {
        var config = BagConfig.Demo with { Backbone = backbone, ResnetWidth = 16, Pretrained = false };
        using var net = new ImageAttributeNetwork(config, attributes: 5);
        net.Eval();
        using var scope = TorchRuntime.NewDisposeScope();
        using var noGrad = Autograd.NoGrad();
        var x = Factory.Randn(new long[] { 3, 1, config.Height, config.Width });
        Assert.Equal(width, net.FeatureWidth);
        Assert.Equal(new long[] { 3, width }, net.Features(x).Shape);
        Assert.Equal(new long[] { 3, 5 }, net.Forward(x).Shape);
    }

    [Fact]
    public void APretrainedMobileNetWithoutStoredWeightsSaysHowToGetThem()
    {
        var previous = Environment.GetEnvironmentVariable("INSITU_WEIGHTS_DIR");
        Environment.SetEnvironmentVariable("INSITU_WEIGHTS_DIR", dir);
        try
        {
            var error = Assert.Throws<InvalidOperationException>(() =>
                new ImageAttributeNetwork(BagConfig.Demo with { Backbone = BagBackbone.MobileNetV2 }, 5));
            Assert.Contains("insitu weights get mobilenet_v2", error.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable("INSITU_WEIGHTS_DIR", previous);
        }
    }
}
