namespace InSitu.Evaluation;

/// <summary>
/// Argument checks shared by the metrics. A metric fed a 2 where it expects 0/1, or rows of unequal length, would
/// still return a plausible number; failing loudly is the only way such a mix-up gets noticed.
/// </summary>
internal static class MetricChecks
{
    public static void SameLength(int predicted, int truth, string what = "predictions")
    {
        if (predicted != truth) throw new ArgumentException($"{predicted} {what} for {truth} labels");
    }

    public static void ZeroOne(ReadOnlySpan<long> values, string name)
    {
        foreach (var v in values)
            if (v is not (0 or 1)) throw new ArgumentException($"{name} must hold only 0 and 1, found {v}", name);
    }

    /// <summary>Only 0 and 1: the values scikit-learn 1.2 accepts, so that every setting has a reference to check.</summary>
    public static void ZeroDivision(double zeroDivision)
    {
        if (zeroDivision is not (0 or 1))
            throw new ArgumentOutOfRangeException(nameof(zeroDivision), zeroDivision, "zeroDivision must be 0 or 1");
    }

    /// <summary>Checks that a and b are rectangular with the same shape [n][k] and returns (n, k).</summary>
    public static (int N, int K) SameShape<TA, TB>(TA[][] a, TB[][] b, string nameA, string nameB)
    {
        if (a.Length != b.Length) throw new ArgumentException($"{a.Length} rows of {nameA} for {b.Length} rows of {nameB}");
        int k = a.Length == 0 ? 0 : a[0].Length;
        for (int i = 0; i < a.Length; i++)
            if (a[i].Length != k || b[i].Length != k)
                throw new ArgumentException($"row {i}: {a[i].Length} {nameA} and {b[i].Length} {nameB}, expected {k} (rows must be equal)");
        return (a.Length, k);
    }
}
