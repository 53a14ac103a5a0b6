namespace InSitu.Evaluation;

/// <summary>Mean and sample standard deviation over seeds.</summary>
public readonly record struct MeanStd(double Mean, double Std, int N)
{
    public static MeanStd Of(IEnumerable<double> values)
    {
        var v = values.Where(x => !double.IsNaN(x)).ToList();
        if (v.Count == 0) return new MeanStd(double.NaN, double.NaN, 0);
        double mean = v.Average();
        double std = v.Count > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Count - 1)) : 0;
        return new MeanStd(mean, std, v.Count);
    }

    public override string ToString() => N > 1 ? $"{100 * Mean:F2} ± {100 * Std:F2}" : $"{100 * Mean:F2}";
}
