using InSitu.Common;

namespace InSitu.Imaging;

/// <summary>A dense displacement per pixel: output pixel (y, x) takes the input at (y + Dy, x + Dx).</summary>
public sealed record DisplacementField(float[] Dx, float[] Dy, int Height, int Width);

/// <summary>
/// Elastic deformation (Simard et al. 2003), the augmentation U-Net relies on for training from few images: uniform
/// noise in [-1, 1] per pixel and axis, smoothed by a Gaussian of <c>sigma</c> pixels (how far the bends reach),
/// rescaled so the displacement's root mean square is <c>alpha</c> pixels (how strong they are). Images are resampled
/// bilinearly, label images by nearest neighbour (so no label value is invented and an "unlabelled" value stays so);
/// both mirror at the border, so no constant fill enters the picture.
/// </summary>
public static class ElasticDeformation
{
    public static DisplacementField Random(int height, int width, float alpha, float sigma, SeededRandom r)
    {
        if (!(alpha >= 0) || !(sigma > 0)) throw new ArgumentException($"elastic alpha {alpha} must be >= 0 and sigma {sigma} > 0");
        int n = height * width;
        var noise = new float[2 * n];
        for (int i = 0; i < noise.Length; i++) noise[i] = r.Uniform(-1, 1);
        var field = new float[2 * n];
        // two planes blurred as one 2-channel interleaved image: (dx, dy) per pixel
        GaussianBlur.Apply(noise, field, 0, width, height, 2, sigma);
        double sum = 0;
        for (int i = 0; i < field.Length; i++) sum += field[i] * (double)field[i];
        float scale = sum > 0 ? alpha / (float)Math.Sqrt(sum / n) : 0; // RMS of the vector length
        var dx = new float[n];
        var dy = new float[n];
        for (int i = 0; i < n; i++)
        {
            dx[i] = field[2 * i] * scale;
            dy[i] = field[2 * i + 1] * scale;
        }
        return new DisplacementField(dx, dy, height, width);
    }

    /// <summary>Mirrors a coordinate into [0, n - 1] (…2 1 0 1 2… at the low edge), as often as needed.</summary>
    public static float Mirror(float v, int n)
    {
        if (n == 1) return 0;
        float period = 2 * (n - 1);
        v = Math.Abs(v) % period;
        return v > n - 1 ? period - v : v;
    }

    /// <summary>A C x H x W image resampled bilinearly along the field.</summary>
    public static float[] WarpImage(float[] chw, int channels, DisplacementField f)
    {
        int h = f.Height, w = f.Width, plane = h * w;
        if (chw.Length != channels * plane) throw new ArgumentException("the image does not match the displacement field");
        var dst = new float[chw.Length];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                float sx = Mirror(x + f.Dx[i], w), sy = Mirror(y + f.Dy[i], h);
                Bilinear.Sample(chw, channels, w, h, sx, sy, dst, i);
            }
        return dst;
    }

    /// <summary>A label image (H x W at <paramref name="offset"/>) resampled by nearest neighbour along the field, in place.</summary>
    public static void WarpLabels(long[] labels, int offset, DisplacementField f)
    {
        int h = f.Height, w = f.Width;
        var src = labels.AsSpan(offset, h * w).ToArray();
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                int sx = Math.Min(w - 1, (int)MathF.Round(Mirror(x + f.Dx[i], w)));
                int sy = Math.Min(h - 1, (int)MathF.Round(Mirror(y + f.Dy[i], h)));
                labels[offset + i] = src[sy * w + sx];
            }
    }
}
