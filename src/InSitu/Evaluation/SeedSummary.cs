namespace InSitu.Evaluation;

/// <summary>
/// Mean ± standard deviation over seeds of metrics that come as vectors (per class, per label). A scalar metric needs
/// nothing more than <see cref="MeanStd.Of"/>; this only applies it element by element, so both share one definition:
/// the sample standard deviation (n - 1), 0 for a single seed, NaN seeds skipped (a class absent from one seed's test
/// split does not turn the summary into NaN).
/// </summary>
public static class SeedSummary
{
    /// <summary>Element i of the result summarizes element i of every seed's vector; all vectors must have one length.</summary>
    public static MeanStd[] PerElement(IReadOnlyList<double[]> perSeed)
    {
        if (perSeed.Count == 0) return [];
        int length = perSeed[0].Length;
        for (int s = 1; s < perSeed.Count; s++)
            if (perSeed[s].Length != length) throw new ArgumentException($"seed {s} has {perSeed[s].Length} values, seed 0 has {length}");
        return Enumerable.Range(0, length).Select(i => MeanStd.Of(perSeed.Select(v => v[i]))).ToArray();
    }
}
