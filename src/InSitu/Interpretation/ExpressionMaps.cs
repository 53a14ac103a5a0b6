namespace InSitu.Interpretation;

/// <summary>
/// Genome-wide expression maps (GEMs, seed 000 Fig. 7): for each stage, the mean over the images assigned to it of
/// their "gene active" maps, i.e. per pixel the share of genes expressed there. Masked GEMs multiply each image's map
/// by its normalised saliency map before averaging, so what did not drive the stage prediction fades out.
/// </summary>
public sealed class ExpressionMaps
{
    private readonly Dictionary<int, (double[] sum, int images)> _stages = new();

    public ExpressionMaps(int width, int height) => (Width, Height) = (width, height);

    public int Width { get; }
    public int Height { get; }

    /// <summary>Adds one image's active map (H x W, 0..1) to a stage, multiplied per pixel by <paramref name="mask"/> (default
    /// 1).</summary>
    public void Add(int stage, float[] active, float[]? mask = null)
    {
        if (active.Length != Width * Height || mask is not null && mask.Length != active.Length)
            throw new ArgumentException($"maps must be {Width}x{Height}");
        if (!_stages.TryGetValue(stage, out var s)) s = (new double[active.Length], 0);
        for (int i = 0; i < active.Length; i++) s.sum[i] += (mask?[i] ?? 1) * active[i];
        _stages[stage] = (s.sum, s.images + 1);
    }

    public IEnumerable<int> Stages => _stages.Keys.Order();

    public int Images(int stage) => _stages.TryGetValue(stage, out var s) ? s.images : 0;

    /// <summary>The GEM of a stage: per pixel the share of its images with the gene active (masked: saliency-weighted); zeros for a stage
    /// without images.</summary>
    public float[] Map(int stage)
    {
        if (!_stages.TryGetValue(stage, out var s)) return new float[Width * Height];
        return s.sum.Select(v => (float)(v / s.images)).ToArray();
    }
}
