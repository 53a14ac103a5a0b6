namespace InSitu.Evaluation;

/// <summary>
/// The four counts of binary 0/1 predictions (1 = positive) and the rates read from them: accuracy, sensitivity
/// (recall of the positives) and specificity (recall of the negatives). Kept as counts so that results of several
/// batches or folds add up exactly (with +) rather than as averages of rates.
/// </summary>
/// <remarks>
/// A rate over nothing is NaN: sensitivity with no positive samples, specificity with no negative ones, accuracy
/// with no samples. scikit-learn's recall_score returns 0 there (with a warning), which would read as a model that
/// misses every positive; NaN is skipped by <see cref="MeanStd.Of"/> and shows as such in reports.
/// </remarks>
public readonly record struct BinaryRates(long TruePositives, long FalsePositives, long TrueNegatives, long FalseNegatives)
{
    public static BinaryRates Of(ReadOnlySpan<long> predicted, ReadOnlySpan<long> truth)
    {
        MetricChecks.SameLength(predicted.Length, truth.Length);
        MetricChecks.ZeroOne(predicted, nameof(predicted));
        MetricChecks.ZeroOne(truth, nameof(truth));
        long tp = 0, fp = 0, tn = 0, fn = 0;
        for (int i = 0; i < truth.Length; i++)
        {
            switch ((truth[i], predicted[i]))
            {
                case (1, 1): tp++; break;
                case (0, 1): fp++; break;
                case (0, 0): tn++; break;
                default: fn++; break;
            }
        }
        return new BinaryRates(tp, fp, tn, fn);
    }

    public static BinaryRates operator +(BinaryRates a, BinaryRates b) =>
        new(a.TruePositives + b.TruePositives, a.FalsePositives + b.FalsePositives,
            a.TrueNegatives + b.TrueNegatives, a.FalseNegatives + b.FalseNegatives);

    public long Positives => TruePositives + FalseNegatives;
    public long Negatives => TrueNegatives + FalsePositives;
    public long Total => Positives + Negatives;

    /// <summary>Share of samples predicted correctly; NaN with no samples.</summary>
    public double Accuracy => Ratio(TruePositives + TrueNegatives, Total);

    /// <summary>Recall of the positives, TP / (TP + FN); NaN with no positive samples.</summary>
    public double Sensitivity => Ratio(TruePositives, Positives);

    /// <summary>Recall of the negatives, TN / (TN + FP); NaN with no negative samples.</summary>
    public double Specificity => Ratio(TrueNegatives, Negatives);

    private static double Ratio(long part, long whole) => whole == 0 ? double.NaN : (double)part / whole;
}
