namespace InSitu.Imaging;

/// <summary>
/// Which blocks of a photo differ from its empty background. The background is modelled, not assumed: per colour
/// channel a smooth surface (a degree-4 polynomial: uneven light, vignetting) and its noise, and the texture energy of
/// empty glass and its spread, all fitted to the blocks judged background and refitted as that judgement improves,
/// starting from the calmest fifth of the photo. A block is foreground when its colour or its texture lies further from
/// the background than noise would carry any of the photo's blocks: sqrt(2 ln N) robust standard deviations for N
/// blocks, about the largest deviation among N Gaussian draws. So a pale, unstained embryo shows by its DIC relief and
/// grain, a stained one by its colour, a dark one by both, whatever the light level, without a fixed grey level.
/// </summary>
public sealed class ForegroundMap
{
    private const int Rounds = 5;

    /// <summary>Degree of the background surface: 2 is a tilted bowl; 4 also follows light falling off steeply into the
    /// corners of a brightly lit photo.</summary>
    private const int Degree = 4;

    /// <summary>How evenly, relative to its level, a microscope lights its field beyond what the surface follows.</summary>
    private const float EvenLight = 0.01f;

    /// <summary>Robust standard deviations above which a block is foreground.</summary>
    public float Threshold { get; }
    /// <summary>Colour distance from the fitted background, in background noise units (root mean square over channels).</summary>
    public float[] ColourScore { get; }
    /// <summary>Texture energy above the background's, in its robust standard deviations.</summary>
    public float[] TextureScore { get; }
    public bool[] Mask { get; }

    private ForegroundMap(float threshold, float[] colour, float[] texture, bool[] mask)
    {
        Threshold = threshold;
        ColourScore = colour;
        TextureScore = texture;
        Mask = mask;
    }

    public static ForegroundMap Find(PhotoFeatures f)
    {
        int n = f.Width * f.Height;
        float threshold = MathF.Sqrt(2 * MathF.Log(Math.Max(n, 3)));
        // the background's statistics come from every other block of every other row of a large grid: as exact, four
        // times cheaper
        int step = n > 40_000 ? 2 : 1;
        // a channel clipped at white (in any pixel of a block) tells only that the light was bright there: it is left out
        // of that channel's fit and noise and of the block's colour distance, and blocks clipped in every channel out of
        // the statistics altogether
        var clipped = f.Clipped;
        var usable = new bool[n];
        for (int y = 0; y < f.Height; y += step)
            for (int x = 0; x < f.Width; x += step)
            {
                int k = y * f.Width + x;
                usable[k] = !clipped[3 * k] || !clipped[3 * k + 1] || !clipped[3 * k + 2];
            }

        // glass is the calmest thing in a photo: its calmest fifth (a photo of a whole embryo shows more glass than
        // that) starts the background, which is then every block that does not stand out
        var open = Enumerable.Range(0, n).Where(k => usable[k]).Select(k => f.LogEnergy[k]).ToArray();
        float calm = open.Length == 0 ? float.MaxValue : Select(open, open.Length / 5);
        var background = new bool[n];
        for (int k = 0; k < n; k++) background[k] = usable[k] && f.LogEnergy[k] <= calm;
        var texture = new float[n];
        var colour = new float[n];
        var mask = new bool[n];
        var fit = new float[n];
        var residual = new float[3 * n];
        var sigma = new[] { 0.5f, 0.5f, 0.5f };
        for (int round = 0; round < Rounds && background.Any(b => b); round++)
        {
            sigma = FitColour(f, background, fit, residual);
            float median = Median(f.LogEnergy, 0, 1, background);
            float spread = Math.Max(0.05f, RobustSigma(f.LogEnergy, 0, 1, background));
            int changed = 0;
            for (int k = 0; k < n; k++)
            {
                float sum = 0;
                int channels = 0;
                for (int c = 0; c < 3; c++)
                {
                    if (clipped[3 * k + c]) continue;
                    float z = residual[3 * k + c] / sigma[c];
                    sum += z * z;
                    channels++;
                }
                colour[k] = channels == 0 ? 0 : MathF.Sqrt(sum / channels);
                texture[k] = (f.LogEnergy[k] - median) / spread;
                bool foreground = colour[k] > threshold || texture[k] > threshold;
                if (foreground != mask[k]) changed++;
                mask[k] = foreground;
                background[k] = usable[k] && !foreground;
            }
            if (changed < n / 1000) break;
        }
        return new ForegroundMap(threshold, colour, texture, mask);
    }

    /// <summary>
    /// Fits each channel's background surface to the blocks judged background where that channel is not clipped,
    /// trimming, three times over (first around the median, then around the surface), the blocks more than 3 robust
    /// standard deviations off in any channel (embryo pixels among them would bend a least-squares surface), and writes
    /// every block's residual. Returns each channel's robust noise
    /// (at least half a grey level).
    /// </summary>
    private static float[] FitColour(PhotoFeatures f, bool[] background, float[] fit, float[] residual)
    {
        int n = f.Width * f.Height;
        var inlier = (bool[])background.Clone();
        var use = new bool[n];
        var channel = new float[n];
        var sigma = new float[3];
        for (int trim = 0; trim < 4; trim++)
        {
            for (int c = 0; c < 3; c++)
            {
                for (int k = 0; k < n; k++)
                {
                    channel[k] = f.Rgb[3 * k + c];
                    use[k] = inlier[k] && !f.Clipped[3 * k + c];
                }
                // the first pass trims around the median, which outliers cannot drag as they drag a least-squares fit
                if (trim == 0) Array.Fill(fit, Median(channel, 0, 1, use));
                else PolynomialSurface.Fit(channel, use, f.Width, f.Height, fit, Degree);
                for (int k = 0; k < n; k++) residual[3 * k + c] = channel[k] - fit[k];
                // a microscope lights its field evenly to about a percent, and a stain that shows absorbs far more: colour
                // differences within a percent of the light are not counted, however quiet the sensor
                sigma[c] = Math.Max(Math.Max(0.5f, EvenLight * Median(fit, 0, 1, use)), RobustSigma(residual, c, 3, use));
            }
            if (trim == 3) break;
            for (int k = 0; k < n; k++)
            {
                if (!background[k]) continue;
                bool near = true;
                for (int c = 0; c < 3; c++) near &= f.Clipped[3 * k + c] || MathF.Abs(residual[3 * k + c]) < 3 * sigma[c];
                inlier[k] = near;
            }
        }
        return sigma;
    }

    /// <summary>Median of values[offset + stride * k] over the blocks k where use[k].</summary>
    private static float Median(float[] values, int offset, int stride, bool[] use)
    {
        var chosen = new List<float>();
        for (int k = 0; k < use.Length; k++) if (use[k]) chosen.Add(values[offset + stride * k]);
        if (chosen.Count == 0) return 0;
        var array = chosen.ToArray();
        return Select(array, array.Length / 2);
    }

    /// <summary>The k-th smallest value (Hoare's selection; reorders the array).</summary>
    private static float Select(float[] a, int k)
    {
        int lo = 0, hi = a.Length - 1;
        while (lo < hi)
        {
            float pivot = a[(lo + hi) >>> 1];
            int i = lo, j = hi;
            while (i <= j)
            {
                while (a[i] < pivot) i++;
                while (a[j] > pivot) j--;
                if (i > j) break;
                (a[i], a[j]) = (a[j], a[i]);
                i++;
                j--;
            }
            if (k <= j) hi = j;
            else if (k >= i) lo = i;
            else return a[k];
        }
        return a[k];
    }

    /// <summary>1.4826 x the median absolute deviation: the standard deviation of Gaussian values, unmoved by outliers.</summary>
    private static float RobustSigma(float[] values, int offset, int stride, bool[] use)
    {
        float median = Median(values, offset, stride, use);
        var deviations = new float[use.Length];
        for (int k = 0; k < use.Length; k++) deviations[k] = MathF.Abs(values[offset + stride * k] - median);
        return 1.4826f * Median(deviations, 0, 1, use);
    }
}
