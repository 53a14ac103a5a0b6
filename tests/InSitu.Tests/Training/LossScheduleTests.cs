using InSitu.Training;

namespace InSitu.Tests.Training;

/// <summary>The FlyExpress paper's schedules (section IV-B, V-A) as functions of the epoch.</summary>
public class LossScheduleTests
{
    [Fact]
    public void GammaRisesFromOneToTwoOverTheFirstTenEpochsOnACosine()
    {
        var g = new FocalGammaSchedule();
        Assert.Equal(1, g.At(0), 12);
        Assert.Equal(1.5, g.At(5), 12);
        Assert.Equal(2 - 0.5 * (1 + Math.Cos(Math.PI * 0.2)), g.At(2), 12);
        Assert.Equal(2, g.At(10), 12);
        Assert.Equal(2, g.At(99), 12);
        for (int e = 1; e < 10; e++) Assert.True(g.At(e) > g.At(e - 1));
        // stretched to a 20-epoch run: the same shape over its first 2 epochs
        var s = FocalGammaSchedule.Scaled(20);
        Assert.Equal(1.5, s.At(1), 12);
        Assert.Equal(2, s.At(2), 12);
    }

    [Fact]
    public void TemperingSwingsTheWeightsToOneAndBackBetweenFortyAndEightyFiveThenFreezes()
    {
        var t = new MultipleTempering();
        float[] w = { 9f, 1f, 0.5f };
        Assert.Equal(w, t.Weights(w, 0));
        Assert.Equal(w, t.Weights(w, 40));
        Assert.Equal(new[] { 1f, 1f, 1f }, t.Weights(w, 70)); // half a period: w -> 1
        Assert.Equal(5f, t.Weights(w, 55)[0], 5); // a quarter: half way
        Assert.Equal(1 + 8 * (1 + Math.Cos(Math.PI * 45 / 30)) / 2, t.Weights(w, 85)[0], 4);
        Assert.Equal(t.Weights(w, 85), t.Weights(w, 99)); // frozen
        Assert.Equal(0.5, t.Swing(85), 12);
        var scaled = MultipleTempering.Scaled(10);
        Assert.Equal(4, scaled.Start, 12);
        Assert.Equal(8.5, scaled.Stop, 12);
        Assert.Equal(1, scaled.Swing(4), 12);
        Assert.Equal(0, scaled.Swing(7), 12);
    }

    [Fact]
    public void WeightsAreNegativesOverPositives()
    {
        var targets = new[] { new float[] { 1, 0, 0 }, new float[] { 1, 1, 0 }, new float[] { 0, 0, 0 }, new float[] { 0, 0, 0 } };
        Assert.Equal(new[] { 1f, 3f, 1f }, AttributeBalance.NegativeOverPositive(targets));
        Assert.Throws<ArgumentException>(() => AttributeBalance.NegativeOverPositive(Array.Empty<float[]>()));
        Assert.Throws<ArgumentException>(() => AttributeBalance.NegativeOverPositive(new[] { new float[2], new float[3] }));
    }

    [Fact]
    public void CosineEpochsAnnealOverPartOfTheRunAndFollowTheCosineOn()
    {
        var config = new TrainingConfig
        {
            Epochs = 10,
            Optimizer = OptimizerKind.Adam,
            LearningRate = 0.1,
            Schedule = ScheduleKind.Cosine,
            CosineEpochs = 8,
            MinLearningRate = 0,
        };
        config.Validate("cnn");
        using var p = new InSitu.Torch.NN.Linear(1, 1);
        using var optimizer = config.CreateOptimizer(p.Parameters());
        var schedule = config.CreateScheduler(optimizer);
        schedule.SetEpoch(8);
        Assert.Equal(0, optimizer.Groups[0].LearningRate, 12);
        schedule.SetEpoch(4);
        Assert.Equal(0.05, optimizer.Groups[0].LearningRate, 12);
        Assert.Throws<ArgumentException>(() => (config with { CosineEpochs = 0 }).Validate("cnn"));
    }
}
