namespace InSitu.Imaging;

/// <summary>
/// Exact Euclidean distance transform (Felzenszwalb and Huttenlocher's lower envelope of parabolas, one pass per
/// axis): for every pixel, the distance to the nearest pixel of the other kind.
/// </summary>
public static class DistanceTransform
{
    /// <summary>
    /// Signed distance to the mask's boundary: positive inside (distance to the nearest outside pixel), negative
    /// outside (minus the distance to the nearest inside pixel). A mask with no inside or no outside pixel gives
    /// +-infinity everywhere on the side that exists.
    /// </summary>
    public static float[] Signed(bool[] mask, int width, int height)
    {
        var inside = ToNearest(mask, width, height, target: false);
        var outside = ToNearest(mask, width, height, target: true);
        var d = new float[mask.Length];
        for (int i = 0; i < d.Length; i++) d[i] = mask[i] ? inside[i] : -outside[i];
        return d;
    }

    /// <summary>Distance from every pixel to the nearest pixel whose mask value is <paramref name="target"/> (0 on them).</summary>
    public static float[] ToNearest(bool[] mask, int width, int height, bool target)
    {
        if (mask.Length != width * height) throw new ArgumentException("the mask does not match its size");
        const double far = 1e20;
        var f = new double[mask.Length];
        for (int i = 0; i < f.Length; i++) f[i] = mask[i] == target ? 0 : far;
        int longest = Math.Max(width, height);
        var line = new double[longest];
        var result = new double[longest];
        var hull = new int[longest];
        var bounds = new double[longest + 1];
        for (int x = 0; x < width; x++)
        {
            for (int y = 0; y < height; y++) line[y] = f[y * width + x];
            Squared1D(line, height, result, hull, bounds);
            for (int y = 0; y < height; y++) f[y * width + x] = result[y];
        }
        for (int y = 0; y < height; y++)
        {
            Array.Copy(f, y * width, line, 0, width);
            Squared1D(line, width, result, hull, bounds);
            Array.Copy(result, 0, f, y * width, width);
        }
        var d = new float[mask.Length];
        for (int i = 0; i < d.Length; i++) d[i] = f[i] >= far ? float.PositiveInfinity : (float)Math.Sqrt(f[i]);
        return d;
    }

    /// <summary>min over q of (p - q)^2 + f(q) for p = 0..n-1: the lower envelope of parabolas rooted at each q.</summary>
    private static void Squared1D(double[] f, int n, double[] d, int[] v, double[] z)
    {
        int k = -1;
        for (int q = 0; q < n; q++)
        {
            if (f[q] >= 1e20) continue;
            while (true)
            {
                if (k < 0)
                {
                    k = 0; v[0] = q; z[0] = double.NegativeInfinity; z[1] = double.PositiveInfinity;
                    break;
                }
                double s = (f[q] + (double)q * q - (f[v[k]] + (double)v[k] * v[k])) / (2.0 * (q - v[k]));
                if (s <= z[k])
                {
                    k--;
                    continue;
                }
                k++; v[k] = q; z[k] = s; z[k + 1] = double.PositiveInfinity;
                break;
            }
        }
        if (k < 0)
        {
            for (int p = 0; p < n; p++) d[p] = 1e20;
            return;
        }
        for (int p = 0, j = 0; p < n; p++)
        {
            while (z[j + 1] < p) j++;
            d[p] = (double)(p - v[j]) * (p - v[j]) + f[v[j]];
        }
    }
}
