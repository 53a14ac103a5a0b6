using InSitu.Training;
using InSitu.Workflows.Bags;

namespace InSitu.Tests.Workflows.Bags;

/// <summary>The paper's loss: focal gamma by epoch, w_m weights (Eq. 4 or the code's positives-only), tempering, masks.</summary>
public class BagLossTests
{
    private static readonly float[] Weights = { 4f, 1f };

    private static double Loss(BagConfig config, float[] logits, float[] targets, float[] masks, int epoch, MultipleTempering? t = null)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var loss = new BagLoss(config, Weights, config.Gamma(config.Cnn), t ?? config.Tempering);
        return loss.Compute(Tensor.FromArray(logits, 1, 2), Tensor.FromArray(targets, 1, 2), Tensor.FromArray(masks, 1, 2), epoch).Item();
    }

    private static double Bce(double x, double y) =>
        -(y * Math.Log(1 / (1 + Math.Exp(-x))) + (1 - y) * Math.Log(1 - 1 / (1 + Math.Exp(-x))));

    [Fact]
    public void EquationFourWeightsAnAttributesWholeLossAndMasksRemoveIt()
    {
        var plain = new BagConfig { Components = new BagComponents { FocalLoss = false } };
        // gamma 0, attribute weighting: mean of (4 * bce(0.5, 0), 1 * bce(-1, 1))
        Assert.Equal((4 * Bce(0.5, 0) + Bce(-1, 1)) / 2, Loss(plain, new[] { 0.5f, -1f }, new[] { 0f, 1f }, new[] { 1f, 1f }, 0), 5);
        // the code's variant: w_m on positives only, so the negative of attribute 0 counts once
        var positives = plain with { Weighting = BceWeighting.Positives };
        Assert.Equal((Bce(0.5, 0) + Bce(-1, 1)) / 2, Loss(positives, new[] { 0.5f, -1f }, new[] { 0f, 1f }, new[] { 1f, 1f }, 0), 5);
        // a masked attribute contributes nothing
        Assert.Equal(Bce(-1, 1) / 2, Loss(plain, new[] { 0.5f, -1f }, new[] { 0f, 1f }, new[] { 0f, 1f }, 0), 5);
        // weights off: 1 for every attribute
        var unweighted = plain with { Components = plain.Components with { WeightedBce = false } };
        Assert.Equal((Bce(0.5, 0) + Bce(-1, 1)) / 2, Loss(unweighted, new[] { 0.5f, -1f }, new[] { 0f, 1f }, new[] { 1f, 1f }, 0), 5);
    }

    [Fact]
    public void FocalGammaAndTemperingFollowTheEpoch()
    {
        var config = new BagConfig { Components = new BagComponents { Tempering = true } };
        var loss = new BagLoss(config, Weights, config.Gamma(config.Cnn), config.Tempering);
        Assert.Equal(1, loss.GammaAt(0), 12);
        Assert.Equal(2, loss.GammaAt(10), 12);
        Assert.Equal(Weights, loss.WeightsAt(39));
        Assert.Equal(new[] { 1f, 1f }, loss.WeightsAt(70));
        var held = new BagLoss(config with { Components = config.Components with { Tempering = false } }, Weights,
            config.Gamma(config.Cnn), config.Tempering);
        Assert.Equal(Weights, held.WeightsAt(70));
        var noFocal = config with { Components = config.Components with { FocalLoss = false } };
        Assert.Equal(0, new BagLoss(noFocal, Weights, noFocal.Gamma(noFocal.Cnn), null).GammaAt(5), 12);
        // the focal term shrinks an easy element's loss: at gamma 1 a confident correct logit loses (1 - p_t)
        var focal = Loss(config, new[] { 4f, 4f }, new[] { 1f, 1f }, new[] { 1f, 1f }, 0);
        double p = 1 / (1 + Math.Exp(-4));
        Assert.Equal((4 + 1) * (1 - p) * Bce(4, 1) / 2, focal, 6);
    }

    [Fact]
    public void ScheduleSharesScaleWithThePhasesEpochs()
    {
        var demo = BagConfig.Demo;
        Assert.Equal(0.4 * demo.Cnn.Epochs, demo.Tempering.Start, 9);
        Assert.Equal(0.85 * demo.Cnn.Epochs, demo.Tempering.Stop, 9);
        var paper = new BagConfig();
        Assert.Equal(new MultipleTempering(40, 85, 30), paper.Tempering);
        Assert.Equal(10, paper.Gamma(paper.Cnn).Epochs, 9);
        Assert.Equal(6, paper.Gamma(paper.Lstm).Epochs, 9);
        Assert.Equal(90, paper.Cnn.CosineEpochs);
    }
}
