using InSitu.Data;

namespace InSitu.Workflows.Stages;

/// <summary>One image of the label queue: its manifest row, how unsure the model is, and the stage it would pick.</summary>
public sealed record QueueEntry(int Row, double Uncertainty, PreciseStage Suggested);

/// <summary>
/// Active learning for precise stages: which image without a precise stage should a person label next. An image's
/// range label already rules out every stage outside that range, so the model's probabilities are renormalised over
/// the stages the range allows, and the entropy of what remains (divided by its maximum, ln of the number of
/// candidates, so 0 = sure and 1 = no idea) ranks the images, most uncertain first.
/// </summary>
public static class StageUncertainty
{
    /// <summary>The precise stages an image of this range can have (all 4..17 when the range is unknown; none for 1-3).</summary>
    public static IReadOnlyList<PreciseStage> Candidates(int? range) =>
        PreciseStage.All.Where(s => range is null || s.Range == range).ToList();

    /// <summary>An image still waiting for a precise stage that the model can help with.</summary>
    public static bool NeedsStage(ManifestRow row) => row.Stage is null && Candidates(row.Range).Count > 0;

    /// <summary>Entropy of the probabilities renormalised over <paramref name="candidates"/>, divided by ln(count).</summary>
    public static double Entropy(IReadOnlyList<float> probabilities, IReadOnlyList<PreciseStage> candidates)
    {
        if (candidates.Count < 2) return 0;
        double total = candidates.Sum(s => (double)probabilities[s.Class]);
        if (total <= 0) return 1;
        double h = 0;
        foreach (var s in candidates)
        {
            double p = probabilities[s.Class] / total;
            if (p > 0) h -= p * Math.Log(p);
        }
        return h / Math.Log(candidates.Count);
    }

    /// <summary>The most probable stage among the candidates.</summary>
    public static PreciseStage Suggest(IReadOnlyList<float> probabilities, IReadOnlyList<PreciseStage> candidates) =>
        candidates.MaxBy(s => probabilities[s.Class]);

    /// <summary>Scored images that need a stage, most uncertain first (ties by row, so the order is stable).</summary>
    public static List<QueueEntry> Rank(Manifest manifest, IReadOnlyDictionary<int, StageScore> scores) =>
        scores.Where(s => NeedsStage(manifest.Rows[s.Key]))
            .Select(s =>
            {
                var candidates = Candidates(manifest.Rows[s.Key].Range);
                return new QueueEntry(s.Key, Entropy(s.Value.Probabilities, candidates), Suggest(s.Value.Probabilities, candidates));
            })
            .OrderByDescending(e => e.Uncertainty).ThenBy(e => e.Row).ToList();

    /// <summary>The <paramref name="k"/> labelled images whose features are most similar (cosine) to <paramref name="feature"/>.</summary>
    public static List<(int row, double similarity)> Nearest(float[] feature, IReadOnlyDictionary<int, float[]> labelled, int k) =>
        labelled.Select(l => (row: l.Key, similarity: Cosine(feature, l.Value)))
            .OrderByDescending(t => t.similarity).ThenBy(t => t.row).Take(k).ToList();

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }
}
