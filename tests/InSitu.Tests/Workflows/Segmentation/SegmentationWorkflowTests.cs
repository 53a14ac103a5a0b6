using InSitu.Data;
using InSitu.Training;
using InSitu.Workflows.Segmentation;

namespace InSitu.Tests.Workflows.Segmentation;

/// <summary>The services a CLI or a web app drives: train from strokes, predict, evaluate, suggest, cancel and resume.</summary>
public class SegmentationWorkflowTests : TempFolderTest
{
    private SegmentationTrainResult Train(string image, string labels, string name, bool resume = false,
        Action<BatchProgress>? progress = null,
        bool report = false, CancellationToken cancel = default) =>
        SegmentationTraining.Train(new SegmentationTrainRequest
        {
            Pairs = [new PatchPair(image, labels)],
            OutDir = Path.Combine(dir, name),
            Config = TinyScenes.Config,
            Seed = 1,
            Resume = resume,
            Report = report,
        }, progress, cancel);

    [Fact]
    [Trait("Category", "Slow")]
    public void StrokesTrainAModelThatSegmentsAnotherImage()
    {
        var data = Path.Combine(dir, "data");
        var (image, _, truth) = TinyScenes.Write(data, "scene", 128, 1);
        var strokes = TinyScenes.Strokes(data, "strokes", truth, 128, 0.3);
        var (other, otherTruth, _) = TinyScenes.Write(data, "other", 96, 2);
        var result = Train(image, strokes, "run", report: true);
        Assert.True(File.Exists(result.ModelPath));
        Assert.True(File.Exists(result.Report));
        Assert.Contains("figures/", File.ReadAllText(result.Report!));
        Assert.False(result.ValidationIsTraining);
        Assert.InRange(result.BestEpoch, 1, result.History.Count);

        var evaluation = SegmentationEvaluator.Evaluate(result.ModelPath, [new PatchPair(other, otherTruth)], Path.Combine(dir, "eval"));
        Assert.True(evaluation.Iou[1] > 0.7, $"IoU of the discs {evaluation.Iou[1]:F3}");
        Assert.True(File.Exists(Path.Combine(dir, "eval", "evaluation.json")));

        using var model = SegmentationModel.Load(result.RunDir);
        var maps = SegmentationPredictor.Predict(model, other, new PredictOptions());
        var files = SegmentationPredictor.PredictToFiles(model, other, Path.Combine(dir, "pred"), new PredictOptions());
        using (var scope = TorchRuntime.NewDisposeScope())
        {
            Assert.Equal(maps.Labels, ImageIO.Read(files.Labels).Cast(DType.Int32).ToArray<int>());
            var p0 = ImageIO.Read(files.Probabilities[0]).ToArray<int>();
            var p1 = ImageIO.Read(files.Probabilities[1]).ToArray<int>();
            Assert.All(Enumerable.Range(0, p0.Length), i => Assert.InRange(p0[i] + p1[i], 65533, 65537));
            Assert.All(Enumerable.Range(0, p0.Length), i => Assert.Equal(maps.Probability(0, i % 96, i / 96) * 65535, p0[i], 0.51));
            Assert.Equal(maps.Entropy.Average(), files.MeanEntropy, 4);
        }
        Assert.Null(files.Disagreement);
        var mc = SegmentationPredictor.Predict(model, other, new PredictOptions { McSamples = 3 });
        Assert.All(mc.Disagreement!, v => Assert.InRange(v, 0, 1));
        Assert.Contains(mc.Disagreement!, v => v > 0);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void SuggestProposesTheMostUncertainUnannotatedPatch()
    {
        var data = Path.Combine(dir, "data");
        var (image, _, truth) = TinyScenes.Write(data, "scene", 96, 3);
        var strokes = TinyScenes.Strokes(data, "strokes", truth, 96, 0.3);
        var result = Train(image, strokes, "run");
        using var model = SegmentationModel.Load(result.RunDir);
        // annotations only in the top-left 32-pixel cell: the other 8 cells are candidates
        var partial = Path.Combine(data, "partial.png");
        var labels = Enumerable.Repeat(255, 96 * 96).ToArray();
        for (int i = 0; i < labels.Length; i++)
            if (i % 96 < 32 && i / 96 < 32) labels[i] = truth[i];
        SegmentationData.WriteLabels(partial, labels, 96, 96);
        var suggestion = PatchSuggester.Suggest(model, [(image, partial)],
            new SuggestOptions { Rule = UncertaintyRule.Disagreement, Count = 3 });
        Assert.Equal(8, suggestion.Candidates);
        Assert.Equal(3, suggestion.Ranked.Count);
        Assert.DoesNotContain(suggestion.Ranked, s => s.X == 0 && s.Y == 0);
        Assert.Equal(suggestion.Ranked.Max(s => s.Disagreement), suggestion.Best.Disagreement);
        Assert.All(suggestion.Ranked, s => Assert.True(s.Entropy is >= 0 and <= 1 && s.Margin is >= 0 and <= 1));
        var report = PatchSuggester.Write(model, suggestion, Path.Combine(dir, "suggest"));
        Assert.True(File.Exists(Path.Combine(dir, "suggest", "suggestions.json")) && File.Exists(report));
        var byEntropy = PatchSuggester.Suggest(model, [(image, partial)], new SuggestOptions { McSamples = 0 });
        Assert.True(double.IsNaN(byEntropy.Best.Disagreement));
        Assert.Equal(byEntropy.Ranked.Max(s => s.Entropy), byEntropy.Best.Entropy);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void ACancelledTrainingResumesToTheModelOfAnUninterruptedOne()
    {
        var data = Path.Combine(dir, "data");
        var (image, _, truth) = TinyScenes.Write(data, "scene", 96, 4);
        var strokes = TinyScenes.Strokes(data, "strokes", truth, 96, 0.3);
        var whole = Train(image, strokes, "whole");
        using var cancel = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => Train(image, strokes, "cut", cancel: cancel.Token, progress: p =>
        {
            if (p.Epoch == 3 && p.Batch == 2) cancel.Cancel();
        }));
        Assert.False(File.Exists(Path.Combine(dir, "cut", SegmentationModel.InfoFile)));
        var resumed = Train(image, strokes, "cut", resume: true);
        Assert.Equal(whole.History.Select(h => h.TrainLoss), resumed.History.Select(h => h.TrainLoss));
        using var a = SegmentationModel.Load(whole.RunDir);
        using var b = SegmentationModel.Load(resumed.RunDir);
        foreach (var ((name, x), (_, y)) in a.Net.StateDict().Zip(b.Net.StateDict()))
            Assert.True(x.Eq(y).All().Item() != 0, $"{name} differs after resuming");
    }
}
