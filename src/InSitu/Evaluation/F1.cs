namespace InSitu.Evaluation;

/// <summary>
/// F1 score (Dice) of 0/1 predictions, per label and averaged over a multi-label indicator matrix [sample][label],
/// as scikit-learn's f1_score with average="binary", None, "macro" or "samples".
/// </summary>
/// <remarks>
/// F1 = 2TP / (2TP + FP + FN). When nothing is true and nothing predicted (TP = FP = FN = 0) it is 0/0, and the result
/// is <c>zeroDivision</c>, scikit-learn's zero_division: 0 (its default, which also warns) counts the empty label or
/// sample as a failure, 1 as a success. Only the fully empty case is affected: positives with no predictions, or
/// predictions with no positives, give 0 either way. Macro F1 is the mean of per-label F1 (not the F1 of mean
/// precision and recall); samples F1 the mean of per-sample F1. Both include the empty items with the chosen value,
/// as scikit-learn does, so the choice can move the averages a lot when empty labels or samples are common.
/// </remarks>
public static class F1
{
    /// <summary>F1 of the positive class (1) of binary 0/1 predictions.</summary>
    public static double Binary(ReadOnlySpan<long> predicted, ReadOnlySpan<long> truth, double zeroDivision = 0)
    {
        MetricChecks.ZeroDivision(zeroDivision);
        MetricChecks.SameLength(predicted.Length, truth.Length);
        MetricChecks.ZeroOne(predicted, nameof(predicted));
        MetricChecks.ZeroOne(truth, nameof(truth));
        long tp = 0, fp = 0, fn = 0;
        for (int i = 0; i < truth.Length; i++)
        {
            if (predicted[i] == 1 && truth[i] == 1) tp++;
            else if (predicted[i] == 1) fp++;
            else if (truth[i] == 1) fn++;
        }
        return FromCounts(tp, fp, fn, zeroDivision);
    }

    /// <summary>F1 of each label (column) of [sample][label] 0/1 matrices, scikit-learn's average=None.</summary>
    public static double[] PerLabel(long[][] predicted, long[][] truth, double zeroDivision = 0)
    {
        var (n, k) = Check(predicted, truth, zeroDivision);
        var tp = new long[k];
        var fp = new long[k];
        var fn = new long[k];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < k; j++)
            {
                if (predicted[i][j] == 1 && truth[i][j] == 1) tp[j]++;
                else if (predicted[i][j] == 1) fp[j]++;
                else if (truth[i][j] == 1) fn[j]++;
            }
        return Enumerable.Range(0, k).Select(j => FromCounts(tp[j], fp[j], fn[j], zeroDivision)).ToArray();
    }

    /// <summary>Mean of <see cref="PerLabel"/>, scikit-learn's average="macro".</summary>
    public static double Macro(long[][] predicted, long[][] truth, double zeroDivision = 0) =>
        NonEmptyMean(PerLabel(predicted, truth, zeroDivision), "labels");

    /// <summary>F1 of each sample (row) over its labels.</summary>
    public static double[] PerSample(long[][] predicted, long[][] truth, double zeroDivision = 0)
    {
        Check(predicted, truth, zeroDivision);
        return predicted.Select((p, i) => Binary(p, truth[i], zeroDivision)).ToArray();
    }

    /// <summary>Mean of <see cref="PerSample"/>, scikit-learn's average="samples".</summary>
    public static double Samples(long[][] predicted, long[][] truth, double zeroDivision = 0) =>
        NonEmptyMean(PerSample(predicted, truth, zeroDivision), "samples");

    /// <summary>F1 from counts; <paramref name="zeroDivision"/> when TP + FP + FN = 0.</summary>
    internal static double FromCounts(long tp, long fp, long fn, double zeroDivision)
    {
        long denominator = 2 * tp + fp + fn;
        return denominator == 0 ? zeroDivision : 2.0 * tp / denominator;
    }

    private static (int N, int K) Check(long[][] predicted, long[][] truth, double zeroDivision)
    {
        MetricChecks.ZeroDivision(zeroDivision);
        var shape = MetricChecks.SameShape(predicted, truth, nameof(predicted), nameof(truth));
        foreach (var row in predicted) MetricChecks.ZeroOne(row, nameof(predicted));
        foreach (var row in truth) MetricChecks.ZeroOne(row, nameof(truth));
        return shape;
    }

    // An average over nothing has no value, and 0 or 1 here would pass for a real score.
    private static double NonEmptyMean(double[] values, string what) =>
        values.Length > 0 ? values.Average() : throw new ArgumentException($"no {what} to average over");
}
