using System.Text.Json;
using InSitu.Tests;

namespace InSitu.Torch.Tests;

/// <summary>
/// <see cref="FocalLoss"/> against torchvision.ops.sigmoid_focal_loss times per-element weights
/// (tests/fixtures/make_bags_fixtures.py): loss and gradient with respect to the logits, float64, for gammas 0, 1, 1.5, 2,
/// without alpha and with alpha 0.25.
/// </summary>
public class FocalLossTests
{
    private static JsonElement Root()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(FixtureCase.PathOf("bags/focal_loss.json")));
        return doc.RootElement.Clone();
    }

    private static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    [Fact]
    public void MatchesTorchvisionWithWeightsAndGradients()
    {
        var root = Root();
        var shape = root.GetProperty("shape").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        using var scope = TorchRuntime.NewDisposeScope();
        var targets = Tensor.FromArray(Doubles(root.GetProperty("targets")), shape);
        var weights = Tensor.FromArray(Doubles(root.GetProperty("weights")), shape);
        int cases = 0;
        foreach (var c in root.GetProperty("cases").EnumerateArray())
        {
            double gamma = c.GetProperty("gamma").GetDouble();
            double? alpha = c.GetProperty("alpha").ValueKind == JsonValueKind.Null ? null : c.GetProperty("alpha").GetDouble();
            var logits = Tensor.FromArray(Doubles(root.GetProperty("logits")), shape).RequiresGrad_();
            var loss = FocalLoss.WithLogits(logits, targets, gamma, weights, alpha);
            loss.Backward();
            Assert.Equal(c.GetProperty("loss").GetDouble(), loss.Item(), 1e-12);
            var grad = logits.Grad!.ToDoubleArray();
            var expected = Doubles(c.GetProperty("grad"));
            for (int i = 0; i < grad.Length; i++) Assert.Equal(expected[i], grad[i], 1e-12);
            cases++;
        }
        Assert.Equal(8, cases);
    }

    [Fact]
    public void GammaZeroIsWeightedBinaryCrossEntropyAndZeroWeightRemovesAnElement()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var logits = Factory.Randn(new long[] { 4, 3 });
        var targets = Factory.Rand(new long[] { 4, 3 }).Gt(0.5).Cast(DType.Float32);
        var weights = Factory.Rand(new long[] { 3 });
        var focal = FocalLoss.WithLogits(logits, targets, 0, weights);
        var bce = F.BinaryCrossEntropyWithLogits(logits, targets, weights.Expand(4, 3));
        Assert.Equal(bce.Item(), focal.Item(), 6);

        // an element of weight 0 (a stage mask) gets no gradient, whatever its logit
        var x = Factory.Randn(new long[] { 2, 2 }).RequiresGrad_();
        var mask = Tensor.FromArray(new float[] { 1, 0, 1, 1 }, 2, 2);
        FocalLoss.WithLogits(x, Factory.Ones(new long[] { 2, 2 }), 2, mask).Backward();
        Assert.Equal(0f, x.Grad!.ToFloatArray()[1]);
        Assert.NotEqual(0f, x.Grad!.ToFloatArray()[0]);
    }

    [Fact]
    public void StaysFiniteForSaturatedLogitsAndRefusesBadArguments()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var x = Tensor.FromArray(new float[] { 60, -60, 60, -60 }, 2, 2).RequiresGrad_();
        var y = Tensor.FromArray(new float[] { 1, 0, 0, 1 }, 2, 2);
        var loss = FocalLoss.WithLogits(x, y, 0.5);
        loss.Backward();
        Assert.True(double.IsFinite(loss.Item()));
        Assert.All(x.Grad!.ToFloatArray(), g => Assert.True(float.IsFinite(g)));
        Assert.Throws<ArgumentException>(() => FocalLoss.WithLogits(x, y, -1));
        Assert.Throws<ArgumentException>(() => FocalLoss.WithLogits(x, y, 1, alpha: 1.5));
        Assert.Throws<TorchException>(() => FocalLoss.WithLogits(x, Factory.Ones(new long[] { 4 }), 1));
    }
}
