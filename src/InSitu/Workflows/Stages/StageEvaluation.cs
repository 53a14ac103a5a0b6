using InSitu.Data;
using InSitu.Evaluation;

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
    public const int StageCount = PreciseStage.Count;

    /// <summary>From predicted and true class indices (<see cref="PreciseStage.Class"/>: 0 = stage 4 ... 13 = stage 17).</summary>
    public static StageEvaluation Of(IReadOnlyList<long> predicted, IReadOnlyList<long> truth)
    {
        if (predicted.Count != truth.Count) throw new ArgumentException($"{predicted.Count} predictions for {truth.Count} labels");
        if (truth.Count == 0) throw new ArgumentException("nothing to evaluate: no labelled test images");
        var matrix = ConfusionMatrix.Of(predicted.ToArray(), truth.ToArray(), StageCount);
        int errors = 0, errorsInRange = 0, near = 0;
        for (int i = 0; i < truth.Count; i++)
        {
            var (t, p) = (PreciseStage.FromClass(truth[i]), PreciseStage.FromClass(predicted[i]));
            if (t != p)
            {
                errors++;
                if (t.Range == p.Range) errorsInRange++;
            }
            if (Math.Abs(t.Value - p.Value) <= 1) near++;
        }
        var confusion = matrix.ToArray().Select(r => r.Select(c => (int)c).ToArray()).ToArray();
        return new StageEvaluation(PreciseStage.All.Select(st => st.Value).ToArray(), matrix.PerClassAccuracy(),
            Enumerable.Range(0, StageCount).Select(c => (int)matrix.TrueCount(c)).ToArray(), matrix.MeanPerClassAccuracy,
            matrix.OverallAccuracy, confusion, errors == 0 ? double.NaN : (double)errorsInRange / errors,
                (double)near / truth.Count, truth.Count);
    }
}
