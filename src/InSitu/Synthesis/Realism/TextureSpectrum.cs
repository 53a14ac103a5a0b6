using InSitu.Imaging;

namespace InSitu.Synthesis.Realism;

/// <summary>
/// The texture of the embryo as a radially averaged power spectrum: square windows lying wholly inside the embryo
/// (on a grid, half a window apart) have their mean removed and a Hann taper applied, and the power |F|^2 of their
/// grey levels is averaged over rings of equal spatial frequency (1 .. window/2 - 1 cycles per window) and over
/// windows. Two spectra are compared as the mean absolute difference of their log10 power over the rings, in
/// decades: 0 for the same texture, log10(4) = 0.60 when one texture has twice the other's contrast.
/// </summary>
public static class TextureSpectrum
{
    /// <summary>Mean power per ring (index = cycles per window; ring 0, the mean, is left 0) over the pictures' windows.</summary>
    public static double[] Of(IEnumerable<MaskedPicture> pictures, int window)
    {
        if (window < 8 || (window & (window - 1)) != 0) throw new ArgumentException("the window must be a power of two of at least 8");
        var taper = new double[window];
        for (int i = 0; i < window; i++) taper[i] = 0.5 - 0.5 * Math.Cos(2 * Math.PI * (i + 0.5) / window);
        var ringOf = new int[window * window];
        var ringSize = new int[window / 2];
        for (int v = 0; v < window; v++)
            for (int u = 0; u < window; u++)
            {
                int fu = u <= window / 2 ? u : window - u, fv = v <= window / 2 ? v : window - v;
                int ring = (int)Math.Round(Math.Sqrt(fu * fu + fv * fv));
                ringOf[v * window + u] = ring < window / 2 ? ring : -1;
                if (ring < window / 2) ringSize[ring]++;
            }
        var sum = new double[window / 2];
        int windows = 0;
        var block = new double[window * window];
        foreach (var p in pictures)
        {
            var gray = p.Gray();
            var inside = DistanceTransform.ToNearest(p.Embryo, p.Width, p.Height, target: false);
            for (int y0 = 0; y0 + window <= p.Height; y0 += window / 2)
                for (int x0 = 0; x0 + window <= p.Width; x0 += window / 2)
                {
                    if (!WhollyInside(inside, p.Width, x0, y0, window)) continue;
                    double mean = 0;
                    for (int y = 0; y < window; y++)
                        for (int x = 0; x < window; x++) mean += block[y * window + x] = gray[(y0 + y) * p.Width + x0 + x];
                    mean /= block.Length;
                    for (int y = 0; y < window; y++)
                        for (int x = 0; x < window; x++) block[y * window + x] = (block[y * window + x] - mean) * taper[x] * taper[y];
                    var power = Fourier.PowerSpectrum(block, window);
                    for (int i = 0; i < power.Length; i++)
                        if (ringOf[i] > 0) sum[ringOf[i]] += power[i] / ringSize[ringOf[i]];
                    windows++;
                }
        }
        if (windows == 0) throw new ArgumentException($"no {window}x{window} window fits inside any embryo");
        for (int r = 1; r < sum.Length; r++) sum[r] /= windows * (double)window * window;
        return sum;
    }

    /// <summary>Windows whose corners and centre lie inside, each at least one pixel from the outline.</summary>
    private static bool WhollyInside(float[] inside, int width, int x0, int y0, int window)
    {
        // every pixel of the window is inside when the centre is farther from the outside than the farthest corner
        float centre = inside[(y0 + window / 2) * width + x0 + window / 2];
        return centre > window * 0.7072f + 1;
    }

    /// <summary>Mean |log10 a - log10 b| over rings 1 .. n-1 (decades).</summary>
    public static double Distance(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count != b.Count) throw new ArgumentException("spectra of different lengths");
        double sum = 0;
        for (int r = 1; r < a.Count; r++) sum += Math.Abs(Math.Log10(Math.Max(a[r], 1e-12)) - Math.Log10(Math.Max(b[r], 1e-12)));
        return sum / (a.Count - 1);
    }
}
