namespace InSitu.Evaluation;

/// <summary>
/// Counts of (true class, predicted class) pairs for K classes, rows = true class, as scikit-learn's
/// confusion_matrix(truth, predicted, labels=0..K-1). It accumulates: segmentation adds mask after mask without ever
/// holding every pixel of a dataset, and the dataset-level figures equal those of all pixels flattened together.
/// </summary>
/// <remarks>
/// Per-class accuracy is the recall of each true class, NaN for a class with no true samples (a 0 there would claim
/// the model failed on images that do not exist). The mean per-class accuracy skips those NaN classes, which is
/// scikit-learn's balanced_accuracy_score.
/// </remarks>
public sealed class ConfusionMatrix
{
    private readonly long[][] _counts;

    public ConfusionMatrix(int classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        Classes = classes;
        _counts = Enumerable.Range(0, classes).Select(_ => new long[classes]).ToArray();
    }

    public int Classes { get; }

    /// <summary>Samples counted so far (ignored ones excluded).</summary>
    public long Total { get; private set; }

    /// <summary>Samples of true class <paramref name="truth"/> predicted as <paramref name="predicted"/>.</summary>
    public long this[int truth, int predicted] => _counts[truth][predicted];

    /// <summary>
    /// Adds pairs. With <paramref name="ignore"/> set, samples whose truth equals it (unlabelled pixels, e.g. 255) are
    /// skipped; every other value, predicted or true, must be a class index.
    /// </summary>
    public void Add(ReadOnlySpan<long> predicted, ReadOnlySpan<long> truth, long? ignore = null)
    {
        MetricChecks.SameLength(predicted.Length, truth.Length);
        // Check everything before counting anything, so that a bad batch leaves the matrix as it was.
        for (int i = 0; i < truth.Length; i++)
        {
            if (truth[i] == ignore) continue;
            if ((ulong)truth[i] >= (ulong)Classes || (ulong)predicted[i] >= (ulong)Classes)
                throw new ArgumentException($"sample {i}: true {truth[i]}, predicted {predicted[i]}: class index outside 0..{Classes - 1}" +
                    (ignore is null ? "" : $" (and not the ignore value {ignore})"));
        }
        for (int i = 0; i < truth.Length; i++)
        {
            if (truth[i] == ignore) continue;
            _counts[truth[i]][predicted[i]]++;
            Total++;
        }
    }

    public static ConfusionMatrix Of(ReadOnlySpan<long> predicted, ReadOnlySpan<long> truth, int classes, long? ignore = null)
    {
        var m = new ConfusionMatrix(classes);
        m.Add(predicted, truth, ignore);
        return m;
    }

    /// <summary>A copy of the counts, [true][predicted].</summary>
    public long[][] ToArray() => _counts.Select(r => (long[])r.Clone()).ToArray();

    /// <summary>Samples whose true class is c (row sum).</summary>
    public long TrueCount(int c) => _counts[c].Sum();

    /// <summary>Samples predicted as class c (column sum).</summary>
    public long PredictedCount(int c) => _counts.Sum(r => r[c]);

    /// <summary>Recall of each true class; NaN for a class with no true samples.</summary>
    public double[] PerClassAccuracy() =>
        Enumerable.Range(0, Classes).Select(c => TrueCount(c) is var n && n == 0 ? double.NaN : (double)_counts[c][c] / n).ToArray();

    /// <summary>Share of samples predicted correctly; NaN when nothing was counted.</summary>
    public double OverallAccuracy =>
        Total == 0 ? double.NaN : (double)Enumerable.Range(0, Classes).Sum(c => _counts[c][c]) / Total;

    /// <summary>Mean of <see cref="PerClassAccuracy"/> over the classes that have true samples; NaN when none has.</summary>
    public double MeanPerClassAccuracy
    {
        get
        {
            var defined = PerClassAccuracy().Where(a => !double.IsNaN(a)).ToList();
            return defined.Count == 0 ? double.NaN : defined.Average();
        }
    }
}
