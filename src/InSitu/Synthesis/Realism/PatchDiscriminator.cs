using InSitu.Classic;
using InSitu.Common;
using InSitu.Evaluation;
using InSitu.Imaging;
using InSitu.Torch;

namespace InSitu.Synthesis.Realism;

/// <summary>How well a classifier tells the two sets' patches apart, measured out of fold.</summary>
public sealed record DiscriminationResult(double Auc, int PatchesPerSet, int Folds, double[] Scores, long[] Labels);

/// <summary>
/// Can a classifier tell simulated from real patches? Square patches are cut at random places (drawn from the seed and
/// the picture's position in its set, so two identical sets give identical patches), described by simple features
/// (mean and spread of R, G and B, grey-level percentiles, gradient and Laplacian energy, blue chroma, fine
/// texture), and an L2 logistic regression is cross-validated with folds grouped by picture (no picture lends
/// patches to both sides of a split). The pooled out-of-fold ROC AUC is 0.5 when the sets cannot be told apart and
/// 1 when they always can: lower is more realistic.
/// </summary>
public static class PatchDiscriminator
{
    public const int FeatureCount = 14;

    public static DiscriminationResult Auc(IReadOnlyList<MaskedPicture> simulated, IReadOnlyList<MaskedPicture> real, int patch,
        int patchesPerSet, int seed, double lambda = 1e-2)
    {
        if (simulated.Count < 2 || real.Count < 2)
            throw new ArgumentException("telling patches apart needs at least 2 pictures in each set (folds are grouped by picture)");
        int folds = Math.Min(5, Math.Min(simulated.Count, real.Count));
        var rows = new List<(float[] features, long label, int fold)>();
        foreach (var (set, label) in new[] { (simulated, 1L), (real, 0L) })
            for (int k = 0; k < set.Count; k++)
            {
                // the set's patches are spread evenly over its pictures
                int count = patchesPerSet / set.Count + (k < patchesPerSet % set.Count ? 1 : 0);
                var r = new SeededRandom((ulong)seed * 7919UL + (ulong)k);
                var p = set[k];
                if (p.Width < patch || p.Height < patch) throw new ArgumentException($"'{p.Name}' is smaller than a {patch}x{patch} patch");
                for (int i = 0; i < count; i++)
                    rows.Add((Features(p.Picture, r.Int(p.Width - patch + 1), r.Int(p.Height - patch + 1), patch), label, k % folds));
            }
        var scores = new double[rows.Count];
        for (int f = 0; f < folds; f++)
        {
            var train = rows.Where(r => r.fold != f).ToList();
            var testIndex = Enumerable.Range(0, rows.Count).Where(i => rows[i].fold == f).ToArray();
            using var scope = TorchRuntime.NewDisposeScope();
            using var model = new LogisticRegression(2, lambda);
            model.Fit(Matrix(train.Select(r => r.features).ToList()), Tensor.FromArray(train.Select(r => r.label).ToArray(), train.Count));
            var p = model.PredictProba(Matrix(testIndex.Select(i => rows[i].features).ToList())).ToFloatArray();
            for (int t = 0; t < testIndex.Length; t++) scores[testIndex[t]] = p[2 * t + 1];
        }
        var labels = rows.Select(r => r.label).ToArray();
        return new DiscriminationResult(RocAuc.Binary(scores, labels), patchesPerSet, folds, scores, labels);
    }

    private static Tensor Matrix(List<float[]> rows)
    {
        var data = new float[rows.Count * FeatureCount];
        for (int i = 0; i < rows.Count; i++) Array.Copy(rows[i], 0, data, i * FeatureCount, FeatureCount);
        return Tensor.FromArray(data, rows.Count, FeatureCount);
    }

    /// <summary>The features of the patch x0..x0+size, y0..y0+size.</summary>
    public static float[] Features(Picture picture, int x0, int y0, int size)
    {
        int n = size * size, w = picture.Width;
        var px = picture.Pixels;
        var gray = new float[n];
        double[] sum = new double[3], sq = new double[3];
        double chroma = 0;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                int i = ((y0 + y) * w + x0 + x) * 3;
                float r = px[i], g = px[i + 1], b = px[i + 2];
                sum[0] += r; sum[1] += g; sum[2] += b;
                sq[0] += r * r; sq[1] += g * g; sq[2] += b * b;
                chroma += b - (r + g) / 2;
                gray[y * size + x] = (r + g + b) / 3;
            }
        double gradient = 0, laplacian = 0, fine = 0;
        for (int y = 1; y < size - 1; y++)
            for (int x = 1; x < size - 1; x++)
            {
                int i = y * size + x;
                float gx = gray[i + 1] - gray[i - 1], gy = gray[i + size] - gray[i - size];
                gradient += MathF.Sqrt(gx * gx + gy * gy) / 2;
                float around = gray[i + 1] + gray[i - 1] + gray[i + size] + gray[i - size];
                laplacian += MathF.Abs(around - 4 * gray[i]);
                float box = (around + gray[i] + gray[i - size - 1] + gray[i - size + 1] + gray[i + size - 1] + gray[i + size + 1]) / 9;
                fine += MathF.Abs(gray[i] - box);
            }
        int inner = (size - 2) * (size - 2);
        var sorted = (float[])gray.Clone();
        Array.Sort(sorted);
        var f = new float[FeatureCount];
        for (int c = 0; c < 3; c++)
        {
            double mean = sum[c] / n;
            f[c] = (float)mean;
            f[3 + c] = (float)Math.Sqrt(Math.Max(0, sq[c] / n - mean * mean));
        }
        f[6] = sorted[n / 10]; f[7] = sorted[n / 2]; f[8] = sorted[n * 9 / 10];
        f[9] = (float)(gradient / inner);
        f[10] = (float)(laplacian / inner);
        f[11] = (float)(chroma / n);
        f[12] = (float)(fine / inner);
        f[13] = sorted[n - 1] - sorted[0];
        return f;
    }
}
