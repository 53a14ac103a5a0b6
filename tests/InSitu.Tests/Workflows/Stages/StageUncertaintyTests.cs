using InSitu.Data;
using InSitu.Workflows.Stages;

namespace InSitu.Tests.Workflows.Stages;

public class StageUncertaintyTests
{
    private static float[] Probabilities(params (int stage, float p)[] mass)
    {
        var p = new float[PreciseStage.Count];
        foreach (var (s, v) in mass) p[s - PreciseStage.First] = v;
        return p;
    }

    [Fact]
    public void TheRangeDecidesTheCandidates()
    {
        Assert.Equal([4, 5, 6], StageUncertainty.Candidates(2).Select(s => s.Value));
        Assert.Equal([13, 14, 15, 16, 17], StageUncertainty.Candidates(6).Select(s => s.Value));
        Assert.Empty(StageUncertainty.Candidates(1)); // stages 1-3 are not precise stages of the model
        Assert.Equal(14, StageUncertainty.Candidates(null).Count);
        Assert.True(StageUncertainty.NeedsStage(new ManifestRow("a.png", Range: 3)));
        Assert.False(StageUncertainty.NeedsStage(new ManifestRow("a.png", Range: 1)));
        Assert.False(StageUncertainty.NeedsStage(new ManifestRow("a.png", Stage: 7, Range: 3)));
    }

    [Fact]
    public void EntropyIsTakenWithinTheRangeAndNormalised()
    {
        var range3 = StageUncertainty.Candidates(3); // stages 7, 8
        // all the mass outside the range does not count: inside it the two stages are equally likely
        Assert.Equal(1.0, StageUncertainty.Entropy(Probabilities((7, 0.1f), (8, 0.1f), (12, 0.8f)), range3), 6);
        Assert.Equal(0.0, StageUncertainty.Entropy(Probabilities((7, 0.3f), (12, 0.7f)), range3), 6);
        // p = (0.9, 0.1): H = -(0.9 ln 0.9 + 0.1 ln 0.1) / ln 2
        double h = -(0.9 * Math.Log(0.9) + 0.1 * Math.Log(0.1)) / Math.Log(2);
        Assert.Equal(h, StageUncertainty.Entropy(Probabilities((7, 0.45f), (8, 0.05f)), range3), 5);
        Assert.Equal(7, StageUncertainty.Suggest(Probabilities((7, 0.45f), (8, 0.05f), (12, 0.5f)), range3).Value);
    }

    [Fact]
    public void TheMostUncertainComeFirstAndLabelledImagesNotAtAll()
    {
        var m = new Manifest(new[]
        {
            new ManifestRow("sure.png", Range: 3), new ManifestRow("unsure.png", Range: 3), new ManifestRow("done.png", Stage: 7),
            new ManifestRow("early.png", Range: 1), new ManifestRow("middle.png", Range: 4),
        }, "/tmp");
        var f = new float[] { 1, 0 };
        var scores = new Dictionary<int, StageScore>
        {
            [0] = new(Probabilities((7, 0.99f), (8, 0.01f)), f),
            [1] = new(Probabilities((7, 0.5f), (8, 0.5f)), f),
            [2] = new(Probabilities((7, 0.5f), (8, 0.5f)), f),
            [3] = new(Probabilities((4, 1f)), f),
            [4] = new(Probabilities((9, 0.7f), (10, 0.3f)), f),
        };
        Assert.Equal([1, 4, 0], StageUncertainty.Rank(m, scores).Select(e => e.Row));
        var nearest = StageUncertainty.Nearest([1, 0], new Dictionary<int, float[]> { [5] = [0, 1], [6] = [2, 0.1f], [7] = [-1, 0] }, 2);
        Assert.Equal([6, 5], nearest.Select(n => n.row));
    }
}
