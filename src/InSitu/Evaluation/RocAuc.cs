namespace InSitu.Evaluation;

/// <summary>
/// ROC curve points as scikit-learn's roc_curve(labels, scores, drop_intermediate=False): one point per distinct
/// score, highest first, after a first point (0, 0) at threshold +inf. A rate whose class is absent (no negatives
/// for the false positive rate, no positives for the true positive rate) is NaN at every point, as in scikit-learn.
/// </summary>
/// <remarks>scikit-learn 1.2 puts max(score) + 1 as the first threshold, 1.3 and later +inf; this follows the latter.</remarks>
public sealed record RocCurve(double[] FalsePositiveRate, double[] TruePositiveRate, double[] Thresholds);

/// <summary>
/// An average of per-item ROC AUCs (items = labels for <see cref="RocAuc.Macro"/>, samples for
/// <see cref="RocAuc.Samples"/>). <see cref="Values"/> holds every item's AUC, NaN where it is undefined;
/// <see cref="Mean"/> averages the <see cref="Defined"/> ones and is NaN when none is; <see cref="Skipped"/> says how many
/// were left out, so a report can say "mean over 12 of 14 labels" instead of silently averaging fewer.
/// </summary>
public sealed record AucAverage(double Mean, double[] Values, int Defined, int Skipped);

/// <summary>
/// Area under the ROC curve, tied scores handled as scikit-learn's roc_auc_score: the trapezoid over the curve whose
/// points are the distinct thresholds, which equals the Mann-Whitney statistic with half credit for a tied
/// positive/negative pair. A model that outputs coarse (e.g. rounded) scores is thus neither rewarded nor punished
/// by the order its ties happen to be sorted in.
/// </summary>
/// <remarks>
/// scikit-learn raises when the labels hold one class only (no positives or no negatives), and its macro and samples
/// averages raise when any label column or sample does. Here such an AUC is NaN instead, and the averages skip it
/// and report how many they skipped (<see cref="AucAverage"/>): one rare label without positives in a test split
/// should not stop an evaluation of all the others. Over the defined items the results equal scikit-learn's.
/// Scores must be finite (scikit-learn rejects NaN and infinities too); labels must be 0 or 1.
/// </remarks>
public static class RocAuc
{
    /// <summary>Binary ROC AUC of <paramref name="scores"/> (higher = more positive) against 0/1 labels; NaN if one class only.</summary>
    public static double Binary(ReadOnlySpan<double> scores, ReadOnlySpan<long> labels)
    {
        double twiceArea = 0;
        long positives = 0, negatives = 0;
        foreach (var (_, tp, fp) in Steps(scores, labels))
        {
            // Trapezoid between consecutive points in counts rather than rates: every term is an integer, so the sum is
            // exact (below 2^53) and the one division at the end is the only rounding.
            twiceArea += (double)(fp - negatives) * (tp + positives);
            (positives, negatives) = (tp, fp);
        }
        return positives == 0 || negatives == 0 ? double.NaN : twiceArea / (2.0 * positives * negatives);
    }

    /// <summary>The ROC curve, every distinct score a threshold (scikit-learn's drop_intermediate=False).</summary>
    public static RocCurve Curve(ReadOnlySpan<double> scores, ReadOnlySpan<long> labels)
    {
        var steps = Steps(scores, labels);
        long positives = steps.Count == 0 ? 0 : steps[^1].Tp, negatives = steps.Count == 0 ? 0 : steps[^1].Fp;
        var tpr = new double[steps.Count + 1];
        var fpr = new double[steps.Count + 1];
        var thresholds = new double[steps.Count + 1];
        for (int i = 0; i <= steps.Count; i++)
        {
            var (threshold, tp, fp) = i == 0 ? (double.PositiveInfinity, 0L, 0L) : steps[i - 1];
            thresholds[i] = threshold;
            tpr[i] = positives == 0 ? double.NaN : (double)tp / positives;
            fpr[i] = negatives == 0 ? double.NaN : (double)fp / negatives;
        }
        return new RocCurve(fpr, tpr, thresholds);
    }

    /// <summary>
    /// Mean over labels of each label's AUC, scores and labels [sample][label] (scikit-learn's average="macro" for
    /// multi-label indicators), skipping labels whose column has one class only.
    /// </summary>
    public static AucAverage Macro(double[][] scores, long[][] labels)
    {
        var (n, k) = MetricChecks.SameShape(scores, labels, "scores", "labels");
        var values = new double[k];
        for (int j = 0; j < k; j++)
        {
            var s = new double[n];
            var l = new long[n];
            for (int i = 0; i < n; i++) (s[i], l[i]) = (scores[i][j], labels[i][j]);
            values[j] = Binary(s, l);
        }
        return Average(values);
    }

    /// <summary>
    /// Mean over samples of each sample's AUC across its labels (scikit-learn's average="samples"): how well a
    /// sample's own labels are ranked above its other labels. Samples with no labels or every label are skipped.
    /// </summary>
    public static AucAverage Samples(double[][] scores, long[][] labels)
    {
        MetricChecks.SameShape(scores, labels, "scores", "labels");
        return Average(scores.Select((s, i) => Binary(s, labels[i])).ToArray());
    }

    private static AucAverage Average(double[] values)
    {
        var defined = values.Where(v => !double.IsNaN(v)).ToList();
        return new AucAverage(defined.Count == 0 ? double.NaN : defined.Average(), values, defined.Count, values.Length - defined.Count);
    }

    /// <summary>
    /// Cumulative (true positives, false positives) after each group of equal scores, highest score first, with that
    /// score: the curve's points without the leading (0, 0). The last step holds the totals.
    /// </summary>
    private static List<(double Threshold, long Tp, long Fp)> Steps(ReadOnlySpan<double> scores, ReadOnlySpan<long> labels)
    {
        MetricChecks.SameLength(scores.Length, labels.Length, "scores");
        MetricChecks.ZeroOne(labels, nameof(labels));
        var keys = new double[scores.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            if (!double.IsFinite(scores[i])) throw new ArgumentException($"scores must be finite, found {scores[i]}", nameof(scores));
            keys[i] = -scores[i];
        }
        var order = Enumerable.Range(0, keys.Length).ToArray();
        Array.Sort(keys, order);
        var steps = new List<(double, long, long)>();
        long tp = 0, fp = 0;
        for (int i = 0; i < order.Length; i++)
        {
            if (labels[order[i]] == 1) tp++;
            else fp++;
            // A point only where the score changes: tied samples move the curve together, diagonally.
            if (i == order.Length - 1 || keys[i + 1] != keys[i]) steps.Add((scores[order[i]], tp, fp));
        }
        return steps;
    }
}
