namespace InSitu.Classic;

/// <summary>
/// Ensembles for imbalanced binary labels (seed 001, after its reference [19]): each member is trained on every row
/// of the minority class and as many rows of the majority class, drawn without replacement independently for each
/// member; the ensemble predicts by majority vote, and the fraction of members voting positive is its score.
/// </summary>
public static class UndersampledEnsemble
{
    /// <summary>
    /// Row masks of <paramref name="members"/> members over the rows of <paramref name="labels"/>, as a rows x members
    /// array (row-major, 1 = the member trains on that row). With <paramref name="undersample"/> false every member
    /// sees every row (a single plain model, repeated).
    /// </summary>
    public static double[] Masks(IReadOnlyList<bool> labels, int members, bool undersample, Random rng)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(rng);
        if (members < 1) throw new ArgumentException("an ensemble needs at least one member");
        int n = labels.Count;
        var mask = new double[n * members];
        var positive = Enumerable.Range(0, n).Where(i => labels[i]).ToArray();
        var negative = Enumerable.Range(0, n).Where(i => !labels[i]).ToArray();
        bool balanced = !undersample || positive.Length == negative.Length;
        var (minority, majority) = positive.Length <= negative.Length ? (positive, negative) : (negative, positive);
        var pool = (int[])majority.Clone();
        for (int m = 0; m < members; m++)
        {
            if (balanced)
            {
                for (int i = 0; i < n; i++) mask[i * members + m] = 1;
                continue;
            }
            foreach (var i in minority) mask[i * members + m] = 1;
            // a partial Fisher-Yates shuffle draws the majority rows of this member
            for (int j = 0; j < minority.Length; j++)
            {
                int pick = j + rng.Next(pool.Length - j);
                (pool[j], pool[pick]) = (pool[pick], pool[j]);
                mask[pool[j] * members + m] = 1;
            }
        }
        return mask;
    }

    /// <summary>Majority vote: positive when more than half of the members vote positive (a tie is negative).</summary>
    public static bool Predicted(double voteFraction) => voteFraction > 0.5;
}
