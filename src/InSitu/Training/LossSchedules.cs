namespace InSitu.Training;

/// <summary>
/// The focal loss's gamma over epochs (FlyExpress paper, section IV-B): "in the first 10 epochs ... we gradually increase
/// the gamma from 1 to 2 by the scheduler of cosine annealing", i.e. gamma rises along the cosine of Eq. 5 run backwards:
/// <code>gamma(e) = End - (End - Start) (1 + cos(pi e / Epochs)) / 2   for e &lt; Epochs,   End after.</code>
/// Early on every sample gets about the same effort (gamma 1); the hard ones get more as training tells them apart.
/// </summary>
public sealed record FocalGammaSchedule(double Start = 1, double End = 2, double Epochs = 10)
{
    /// <summary>The paper's schedule for a 100-epoch run, stretched to <paramref name="totalEpochs"/> (10% of the run).</summary>
    public static FocalGammaSchedule Scaled(int totalEpochs) => new(1, 2, Math.Max(1, 0.1 * totalEpochs));

    /// <summary>gamma during epoch <paramref name="epoch"/> (0-based).</summary>
    public double At(int epoch) =>
        epoch >= Epochs ? End : End - (End - Start) * (1 + Math.Cos(Math.PI * epoch / Epochs)) / 2;
}

/// <summary>
/// Multiple tempering of the per-attribute BCE weights (FlyExpress paper, section IV-B): starting from w_m = #neg / #pos,
/// "from 40 to 85 epochs the weights will go through multiple tempering following 30 half period and freeze at the 85
/// epochs": between <see cref="Start"/> and <see cref="Stop"/> each weight swings w_m -> 1 -> w_m -> ... on a cosine of
/// half-period <see cref="HalfPeriod"/>,
/// <code>w_m(e) = 1 + (w_m - 1) s(e),   s(e) = (1 + cos(pi (e - Start) / HalfPeriod)) / 2,</code>
/// s = 1 before Start, and s frozen at s(Stop) after Stop. Constant weights overfit and no weights underfit; the swing
/// looks for the balance between them.
/// </summary>
public sealed record MultipleTempering(double Start = 40, double Stop = 85, double HalfPeriod = 30)
{
    /// <summary>The paper's 40 / 85 / 30 for a 100-epoch run, stretched to <paramref name="totalEpochs"/>.</summary>
    public static MultipleTempering Scaled(int totalEpochs) =>
        new(0.40 * totalEpochs, 0.85 * totalEpochs, Math.Max(0.5, 0.30 * totalEpochs));

    /// <summary>s(e): how much of each weight's excess over 1 is applied in epoch <paramref name="epoch"/> (0-based).</summary>
    public double Swing(int epoch)
    {
        if (epoch < Start) return 1;
        double e = Math.Min(epoch, Stop);
        return (1 + Math.Cos(Math.PI * (e - Start) / HalfPeriod)) / 2;
    }

    /// <summary>The tempered weights w_m(e) of the base weights w_m.</summary>
    public float[] Weights(IReadOnlyList<float> baseWeights, int epoch)
    {
        ArgumentNullException.ThrowIfNull(baseWeights);
        double s = Swing(epoch);
        return baseWeights.Select(w => (float)(1 + (w - 1) * s)).ToArray();
    }
}

/// <summary>Per-attribute class balance from training labels.</summary>
public static class AttributeBalance
{
    /// <summary>
    /// w_m = #negatives / #positives of each attribute (column) of a 0/1 target matrix [sample][attribute]: the paper's
    /// initial BCE weights. An attribute with no positives gets 1, since there is nothing to balance.
    /// </summary>
    public static float[] NegativeOverPositive(IReadOnlyList<float[]> targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.Count == 0) throw new ArgumentException("no training targets to count positives in");
        int k = targets[0].Length;
        var positives = new long[k];
        foreach (var row in targets)
        {
            if (row.Length != k) throw new ArgumentException($"targets of {row.Length} and {k} attributes mixed");
            for (int j = 0; j < k; j++)
                if (row[j] > 0.5f) positives[j]++;
        }
        return positives.Select(p => p == 0 ? 1f : (float)((double)(targets.Count - p) / p)).ToArray();
    }
}
