using InSitu.Evaluation;

namespace InSitu.Tests.Evaluation;

/// <summary>Per-label thresholds that maximise F1 on held-out data, and the multi-label figures they give.</summary>
public class ThresholdSearchTests
{
    [Fact]
    public void EachLabelGetsTheThresholdOfItsBestF1AtTheMiddleOfATie()
    {
        // label 0: positives at 0.8 and 0.6, negatives at 0.3 and 0.1: any threshold in (0.3, 0.6] separates them;
        // label 1: the only positive scores 0.2, below a negative at 0.5: the best F1 (2/3) is for t in (0.1, 0.2];
        // label 2 has no positives
        double[][] p = { new[] { 0.8, 0.2, 0.4 }, new[] { 0.6, 0.5, 0.9 }, new[] { 0.3, 0.1, 0.1 }, new[] { 0.1, 0.05, 0.2 } };
        long[][] y = { new long[] { 1, 1, 0 }, new long[] { 1, 0, 0 }, new long[] { 0, 0, 0 }, new long[] { 0, 0, 0 } };
        var t = ThresholdSearch.MaximiseF1(p, y, fallback: 0.42);
        Assert.InRange(t[0], 0.31, 0.60);
        Assert.Equal(0.46, t[0], 9); // the middle of the 30 grid points 0.31 .. 0.60
        Assert.Equal(0.16, t[1], 9); // the middle of 0.11 .. 0.20
        Assert.Equal(0.42, t[2]);
        var scores = MultiLabelScores.Of(p, y, t);
        Assert.Equal(1.0, scores.F1PerLabel[0], 9);
        var decisions = MultiLabelScores.Decide(p, t);
        Assert.Equal(F1.Macro(decisions, y), scores.F1Macro, 12);
        Assert.Equal(F1.Samples(decisions, y), scores.F1Samples, 12);
        Assert.Equal(RocAuc.Samples(p, y).Mean, scores.AucSamples, 12);
        Assert.Equal(RocAuc.Macro(p, y).Mean, scores.AucMacro, 12);
        Assert.Equal(1, scores.AucMacroSkipped); // label 2 has one class only
    }

    [Fact]
    public void ThresholdsFromValidationBeatAFixedHalfOnSkewedScores()
    {
        // a model whose probabilities for a rare label never reach 0.5 still separates it
        var r = new Random(4);
        var y = Enumerable.Range(0, 200).Select(i => new long[] { i % 10 == 0 ? 1 : 0 }).ToArray();
        var p = y.Select(l => new[] { l[0] == 1 ? 0.2 + 0.1 * r.NextDouble() : 0.15 * r.NextDouble() }).ToArray();
        var tuned = ThresholdSearch.MaximiseF1(p, y);
        Assert.Equal(1.0, MultiLabelScores.Of(p, y, tuned).F1Macro, 9);
        Assert.Equal(0.0, MultiLabelScores.Of(p, y, new[] { 0.5 }).F1Macro, 9);
        Assert.Throws<ArgumentException>(() => MultiLabelScores.Of(p, y, new[] { 0.5, 0.5 }));
    }
}
