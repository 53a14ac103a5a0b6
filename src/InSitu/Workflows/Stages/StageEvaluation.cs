using InSitu.Data;

namespace InSitu.Workflows.Stages;

/// <summary>
/// Precise-stage evaluation in the form of the paper's Table II: accuracy per stage (4..17) and their mean, overall
/// accuracy, the 14x14 confusion matrix (rows = true stage), the share of errors that stay inside the true stage's
/// range, and accuracy within +-1 stage.
/// </summary>
public sealed record StageEvaluation(
    int[] Stages, double[] PerStageAccuracy, int[] PerStageCount, double MeanPerStageAccuracy, double OverallAccuracy,
    int[][] Confusion, double ErrorsInsideRange, double WithinOneStage, int Images)
{
    public const int FirstStage = 4, StageCount = 14;

    /// <summary>From predicted and true class indices (0 = stage 4 ... 13 = stage 17).</summary>
    public static StageEvaluation Of(IReadOnlyList<long> predicted, IReadOnlyList<long> truth)
    {
        if (predicted.Count != truth.Count) throw new ArgumentException($"{predicted.Count} predictions for {truth.Count} labels");
        if (truth.Count == 0) throw new ArgumentException("nothing to evaluate: no labelled test images");
        var confusion = Enumerable.Range(0, StageCount).Select(_ => new int[StageCount]).ToArray();
        int correct = 0, errors = 0, errorsInRange = 0, near = 0;
        for (int i = 0; i < truth.Count; i++)
        {
            int t = (int)truth[i], p = (int)predicted[i];
            if (t is < 0 or >= StageCount || p is < 0 or >= StageCount) throw new ArgumentException($"class index outside 0..{StageCount - 1}");
            confusion[t][p]++;
            if (t == p) correct++;
            else
            {
                errors++;
                if (StageRanges.Of(t + FirstStage) == StageRanges.Of(p + FirstStage)) errorsInRange++;
            }
            if (Math.Abs(t - p) <= 1) near++;
        }
        var counts = confusion.Select(r => r.Sum()).ToArray();
        var perStage = confusion.Select((r, i) => counts[i] == 0 ? double.NaN : (double)r[i] / counts[i]).ToArray();
        var present = perStage.Where(a => !double.IsNaN(a)).ToList();
        return new StageEvaluation(Enumerable.Range(FirstStage, StageCount).ToArray(), perStage, counts, present.Average(),
            (double)correct / truth.Count, confusion, errors == 0 ? double.NaN : (double)errorsInRange / errors, (double)near / truth.Count, truth.Count);
    }
}
