using InSitu.Workflows.Bags;

namespace InSitu.Tests.Workflows.Bags;

/// <summary>The BiLSTM bag model takes bags of any length, packed, and no padding reaches a bag's result.</summary>
public class BagSequenceModelTests
{
    private static BagSequenceModel Model()
    {
        TorchRuntime.ManualSeed(11);
        var model = new BagSequenceModel(featureWidth: 6, hidden: 24, layers: 2, attributes: 3, dropout: 0.5);
        model.Eval();
        return model;
    }

    private static float[] Bag(int images, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, images * 6).Select(_ => (float)(r.NextDouble() * 6 - 3)).ToArray();
    }

    [Fact]
    public void ABagsOutputIsTheSameAloneAndBesideLongerBags()
    {
        using var model = Model();
        using var scope = TorchRuntime.NewDisposeScope();
        using var inference = Autograd.InferenceMode();
        var shortBag = Bag(2, 1);
        var alone = model.Forward(PackedBags.Of(new[] { shortBag }, 6)).ToFloatArray();
        // the same bag first, last and between bags of 7 and 13 images
        var mixed = model.Forward(PackedBags.Of(new[] { Bag(7, 2), shortBag, Bag(13, 3), Bag(1, 4) }, 6));
        Assert.Equal(new long[] { 4, 3 }, mixed.Shape);
        var row = mixed.Select(0, 1).ToFloatArray();
        for (int m = 0; m < 3; m++) Assert.Equal(alone[m], row[m], 5);
        // not a model that ignores its input: other bags get other outputs
        Assert.NotEqual(mixed.Select(0, 0).ToFloatArray(), row);
        Assert.NotEqual(mixed.Select(0, 2).ToFloatArray(), row);
        var last = model.Forward(PackedBags.Of(new[] { Bag(13, 3), shortBag }, 6)).Select(0, 1).ToFloatArray();
        for (int m = 0; m < 3; m++) Assert.Equal(alone[m], last[m], 5);
    }

    [Fact]
    public void PaddingValuesDoNotChangeTheResultNorGetGradient()
    {
        using var model = Model();
        using var scope = TorchRuntime.NewDisposeScope();
        var lengths = new long[] { 3, 1, 5 };
        var values = Bag(15, 5);
        float[] Padded(float fill)
        {
            var p = (float[])values.Clone();
            for (int b = 0; b < 3; b++)
                for (long t = lengths[b]; t < 5; t++)
                    for (int d = 0; d < 6; d++) p[(b * 5 + t) * 6 + d] = fill == 0 ? 0 : fill * (d + 1);
            return p;
        }
        float[] Out(float fill, out float[] paddingGradient)
        {
            var x = Tensor.FromArray(Padded(fill), 3, 5, 6).RequiresGrad_();
            var y = model.ForwardPadded(x, lengths);
            y.Sum().Backward();
            var g = x.Grad!.ToFloatArray();
            paddingGradient = Enumerable.Range(0, 3).SelectMany(b => Enumerable.Range((int)lengths[b], 5 - (int)lengths[b])
                .SelectMany(t => Enumerable.Range(0, 6).Select(d => g[(b * 5 + t) * 6 + d]))).ToArray();
            return y.ToFloatArray();
        }
        var zeros = Out(0, out var g0);
        var large = Out(1e6f, out var g1);
        var negative = Out(-3, out _);
        Assert.Equal(zeros, large);
        Assert.Equal(zeros, negative);
        Assert.All(g0.Concat(g1), v => Assert.Equal(0f, v));
        // and the packed form (the last image repeated as padding) agrees
        var bags = Enumerable.Range(0, 3).Select(b => values[(b * 5 * 6)..((b * 5 + (int)lengths[b]) * 6)]).ToList();
        var packed = model.Forward(PackedBags.Of(bags, 6)).ToFloatArray();
        for (int i = 0; i < packed.Length; i++) Assert.Equal(zeros[i], packed[i], 5);
    }

    [Fact]
    public void OrderMattersToTheLstmButTheOutputStaysFinite()
    {
        using var model = Model();
        using var scope = TorchRuntime.NewDisposeScope();
        using var inference = Autograd.InferenceMode();
        var bag = Bag(4, 9);
        var reversed = Enumerable.Range(0, 4).Reverse().SelectMany(i => bag[(i * 6)..((i + 1) * 6)]).ToArray();
        var a = model.Forward(PackedBags.Of(new[] { bag }, 6)).ToFloatArray();
        var b = model.Forward(PackedBags.Of(new[] { reversed }, 6)).ToFloatArray();
        Assert.NotEqual(a, b);
        Assert.All(a.Concat(b), v => Assert.True(float.IsFinite(v)));
        var error = Assert.Throws<TorchException>(() => model.Forward(PackedBags.Of(new[] { new float[7] }, 7)));
        Assert.Contains("[n, 6]", error.Message);
        Assert.Throws<ArgumentException>(() => PackedBags.Of(new[] { Array.Empty<float>() }, 6));
    }
}
