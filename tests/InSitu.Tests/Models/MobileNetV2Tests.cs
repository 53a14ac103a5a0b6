using InSitu.Models;

namespace InSitu.Tests.Models;

/// <summary>MobileNetV2's Keras layout without weights: names, shapes, tap points at any size, the head's size limit.</summary>
public class MobileNetV2Tests
{
    [Fact]
    public void ParametersCarryKerasLayerNamesInPyTorchLayout()
    {
        using var model = new MobileNetV2();
        var state = model.StateDict().ToDictionary(e => e.name, e => e.tensor.Shape);
        Assert.Equal([32, 3, 3, 3], state["Conv1.weight"]);
        Assert.Equal([32, 1, 3, 3], state["expanded_conv_depthwise.weight"]);  // depthwise: one filter per channel
        Assert.Equal([96, 16, 1, 1], state["block_1_expand.weight"]);
        Assert.Equal([96, 1, 3, 3], state["block_1_depthwise.weight"]);
        Assert.Equal([320], state["block_16_project_BN.running_var"]);
        Assert.Equal([1280, 320, 1, 1], state["Conv_1.weight"]);
        Assert.Equal([256, 1280], state["dense_1.weight"]);
        Assert.Equal([5, 128], state["dense_3.weight"]);
        Assert.DoesNotContain("block_16_add", model.TapPoints);  // 160 -> 320 channels: no shortcut
        // Keras's MobileNetV2 has 52 batch norms and 35 + 17 convolutions; nsfwjs's head three dense layers:
        // 52 * 4 + 52 + 3 * 2 = 266 TF.js tensors, plus PyTorch's batch counters.
        Assert.Equal(52, state.Keys.Count(k => k.EndsWith(".num_batches_tracked", StringComparison.Ordinal)));
        Assert.Equal(266, state.Count - 52);
        // Keras reports 2,223,872 trainable parameters for MobileNetV2 without its top; the head adds
        // 1280 * 256 + 256 + 256 * 128 + 128 + 128 * 5 + 5 = 361,477.
        Assert.Equal(2_223_872 + 361_477, model.ParameterCount());
    }

    [Fact]
    public void TapPointsFollowKerasShapesAt224AndAtOddSizes()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        TorchRuntime.ManualSeed(2);
        using var model = new MobileNetV2();
        model.Eval();
        using var noGrad = Autograd.NoGrad();
        var taps = model.Taps(Factory.Rand(new long[] { 2, 3, 224, 224 }),
            ["stem", "block_1_project_BN", "block_2", "block_13_expand_relu", "block_16", "out_relu", "pool", "predictions"]);
        Assert.Equal([2, 32, 112, 112], taps["stem"].Shape);
        Assert.Equal([2, 24, 56, 56], taps["block_1_project_BN"].Shape);
        Assert.Equal([2, 24, 56, 56], taps["block_2"].Shape);
        Assert.Equal([2, 576, 14, 14], taps["block_13_expand_relu"].Shape);
        Assert.Equal([2, 320, 7, 7], taps["block_16"].Shape);
        Assert.Equal([2, 1280, 7, 7], taps["out_relu"].Shape);
        Assert.Equal([2, 1280], taps["pool"].Shape);
        var sums = taps["predictions"].Sum(1).ToFloatArray();
        Assert.All(sums, s => Assert.Equal(1f, s, 5));

        // Odd sizes pad (1, 1) before a stride-2 convolution, so each halves as ceil(h / 2): 97x131 -> 4x5.
        var odd = model.Taps(Factory.Rand(new long[] { 1, 3, 97, 131 }), ["Conv1_relu", "out_relu"]);
        Assert.Equal([1, 32, 49, 66], odd["Conv1_relu"].Shape);
        Assert.Equal([1, 1280, 4, 5], odd["out_relu"].Shape);
        var error = Assert.Throws<TorchException>(() => model.Forward(Factory.Rand(new long[] { 1, 3, 97, 131 })));
        Assert.Contains("224x224", error.Message);
        Assert.Throws<ArgumentException>(() => model.Taps(Factory.Rand(new long[] { 1, 3, 32, 32 }), ["block_17"]));
    }

    [Fact]
    public void KerasPaddingIsZeroPaddingAfterTheImage()
    {
        // At an even size Keras pads one row below and one column right of the image before a stride-2 'valid'
        // convolution: with a kernel that only looks at its top-left tap, output (i, j) reads input (2i, 2j).
        using var scope = TorchRuntime.NewDisposeScope();
        using var model = new MobileNetV2();
        model.Eval();
        using var noGrad = Autograd.NoGrad();
        var conv = model.StateDict().Single(e => e.name == "Conv1.weight").tensor;
        conv.Zero_();
        conv.Narrow(0, 0, 1).Narrow(1, 0, 1).Narrow(2, 0, 1).Narrow(3, 0, 1).Fill_(1.0);
        var x = Factory.Arange(0, 3 * 8 * 8).Reshape(1, 3, 8, 8) * 0.05;
        var stem = model.Taps(x, ["Conv1_relu"])["Conv1_relu"];
        // bn_Conv1 at its initial state (mean 0, var 1, epsilon 1e-3) divides by sqrt(1.001); nothing reaches ReLU6's 6
        var y = stem.Select(1, 0).ToFloatArray();
        Assert.Equal(16, y.Length);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                Assert.Equal(0.05 * (16 * i + 2 * j) / Math.Sqrt(1.001), y[i * 4 + j], 5);
    }
}
