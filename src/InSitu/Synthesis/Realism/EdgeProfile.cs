using InSitu.Imaging;

namespace InSitu.Synthesis.Realism;

/// <summary>Bins of signed distance from the embryo's outline (pixels, positive inside): [From, From + Width) ...</summary>
public sealed record DistanceBins(float From, float Width, int Count)
{
    public float Centre(int bin) => From + (bin + 0.5f) * Width;
}

/// <summary>
/// Where a picture has edges relative to the embryo's outline: the mean gradient magnitude (Sobel, in grey levels per
/// pixel) of the pixels at each signed distance from the outline, each picture weighted equally. A drawn outline is a
/// sharp peak at distance 0; relief and texture spread edges over the inside. Profiles are compared as the mean
/// absolute difference over the bins (grey levels per pixel).
/// </summary>
public static class EdgeProfile
{
    public static double[] Of(IEnumerable<MaskedPicture> pictures, DistanceBins bins)
    {
        var total = new double[bins.Count];
        var pictureCount = new int[bins.Count];
        foreach (var p in pictures)
        {
            var gradient = GradientMagnitude(p.Gray(), p.Width, p.Height);
            var distance = DistanceTransform.Signed(p.Embryo, p.Width, p.Height);
            var sum = new double[bins.Count];
            var n = new long[bins.Count];
            for (int i = 0; i < distance.Length; i++)
            {
                float d = distance[i];
                if (!float.IsFinite(d)) continue;
                // the outline lies between the last inside and the first outside pixel
                float centred = d > 0 ? d - 0.5f : d + 0.5f;
                int bin = (int)MathF.Floor((centred - bins.From) / bins.Width);
                if (bin < 0 || bin >= bins.Count) continue;
                sum[bin] += gradient[i];
                n[bin]++;
            }
            for (int b = 0; b < bins.Count; b++)
                if (n[b] > 0)
                {
                    total[b] += sum[b] / n[b];
                    pictureCount[b]++;
                }
        }
        for (int b = 0; b < bins.Count; b++) total[b] = pictureCount[b] > 0 ? total[b] / pictureCount[b] : double.NaN;
        return total;
    }

    /// <summary>Sobel gradient magnitude / 8 (grey levels per pixel), edges clamped.</summary>
    public static float[] GradientMagnitude(float[] g, int w, int h)
    {
        var m = new float[g.Length];
        for (int y = 0; y < h; y++)
        {
            int ym = Math.Max(y - 1, 0), yp = Math.Min(y + 1, h - 1);
            for (int x = 0; x < w; x++)
            {
                int xm = Math.Max(x - 1, 0), xp = Math.Min(x + 1, w - 1);
                float gx = g[ym * w + xp] + 2 * g[y * w + xp] + g[yp * w + xp] - g[ym * w + xm] - 2 * g[y * w + xm] - g[yp * w + xm];
                float gy = g[yp * w + xm] + 2 * g[yp * w + x] + g[yp * w + xp] - g[ym * w + xm] - 2 * g[ym * w + x] - g[ym * w + xp];
                m[y * w + x] = MathF.Sqrt(gx * gx + gy * gy) / 8;
            }
        }
        return m;
    }

    /// <summary>Mean |a - b| over the bins both profiles have (grey levels per pixel).</summary>
    public static double Distance(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count != b.Count) throw new ArgumentException("profiles of different lengths");
        double sum = 0;
        int n = 0;
        for (int i = 0; i < a.Count; i++)
        {
            if (double.IsNaN(a[i]) || double.IsNaN(b[i])) continue;
            sum += Math.Abs(a[i] - b[i]);
            n++;
        }
        return n > 0 ? sum / n : double.NaN;
    }
}
