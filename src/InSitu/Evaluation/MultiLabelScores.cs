namespace InSitu.Evaluation;

/// <summary>
/// The multi-label figures of one set of predictions (scikit-learn's definitions, through <see cref="RocAuc"/> and
/// <see cref="F1"/>): ROC AUC averaged over samples and over labels (each skipping the items where it is undefined, and
/// saying how many), and F1 of the thresholded decisions, macro (over labels) and samples. Per-label F1 and AUC are
/// kept for charts.
/// </summary>
public sealed record MultiLabelScores(
    double AucSamples, double AucMacro, double F1Macro, double F1Samples, double[] F1PerLabel, double[] AucPerLabel,
    int AucSamplesSkipped, int AucMacroSkipped, int Samples)
{
    /// <summary>
    /// Scores <paramref name="probabilities"/> [sample][label] against 0/1 <paramref name="truth"/>, deciding label j
    /// positive where its probability is at least <paramref name="thresholds"/>[j].
    /// </summary>
    public static MultiLabelScores Of(double[][] probabilities, long[][] truth, IReadOnlyList<double> thresholds)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(thresholds);
        var (n, k) = MetricChecks.SameShape(probabilities, truth, "probabilities", "labels");
        if (n == 0) throw new ArgumentException("no samples to score");
        if (thresholds.Count != k) throw new ArgumentException($"{thresholds.Count} thresholds for {k} labels");
        var decisions = Decide(probabilities, thresholds);
        var samples = RocAuc.Samples(probabilities, truth);
        var macro = RocAuc.Macro(probabilities, truth);
        return new MultiLabelScores(samples.Mean, macro.Mean, F1.Macro(decisions, truth), F1.Samples(decisions, truth),
            F1.PerLabel(decisions, truth), macro.Values, samples.Skipped, macro.Skipped, n);
    }

    /// <summary>1 where the probability reaches the label's threshold, else 0.</summary>
    public static long[][] Decide(double[][] probabilities, IReadOnlyList<double> thresholds)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(thresholds);
        return probabilities.Select(p => p.Select((v, j) => v >= thresholds[j] ? 1L : 0L).ToArray()).ToArray();
    }
}

/// <summary>
/// One decision threshold per label, chosen to maximise that label's F1 on held-out data (the FlyExpress paper's
/// post-processing, Table III). Candidates are 0.01, 0.02, ..., 0.99 (the paper's two decimals); among thresholds of equal
/// F1 the middle one is taken, so a flat optimum does not sit at its edge. A label without positives in the held-out data
/// has no F1 to maximise and keeps <paramref name="fallback"/>.
/// </summary>
public static class ThresholdSearch
{
    public static double[] MaximiseF1(double[][] probabilities, long[][] truth, double fallback = 0.5)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        var (n, k) = MetricChecks.SameShape(probabilities, truth, "probabilities", "labels");
        var thresholds = new double[k];
        var grid = Enumerable.Range(1, 99).Select(i => i / 100.0).ToArray();
        for (int j = 0; j < k; j++)
        {
            long positives = 0;
            for (int i = 0; i < n; i++) positives += truth[i][j];
            if (positives == 0)
            {
                thresholds[j] = fallback;
                continue;
            }
            var f1 = grid.Select(t =>
            {
                long tp = 0, fp = 0;
                for (int i = 0; i < n; i++)
                    if (probabilities[i][j] >= t)
                    {
                        if (truth[i][j] == 1) tp++;
                        else fp++;
                    }
                return F1.FromCounts(tp, fp, positives - tp, 0);
            }).ToArray();
            double best = f1.Max();
            var ties = Enumerable.Range(0, grid.Length).Where(i => f1[i] >= best - 1e-12).ToArray();
            thresholds[j] = grid[ties[ties.Length / 2]];
        }
        return thresholds;
    }
}
