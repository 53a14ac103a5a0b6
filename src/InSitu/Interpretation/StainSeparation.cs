namespace InSitu.Interpretation;

/// <summary>
/// Separates the blue/purple ISH stain from the embryo's own colour by colour deconvolution (Ruifrok and Johnston):
/// per pixel, the optical density OD = -ln(I / I_background) in R, G, B is split along three fixed OD directions:
/// the stain (NBT/BCIP absorbs red and green, little blue), neutral density (dense tissue darkens all channels
/// alike) and the embryo's yellow-beige tint (absorbs blue). The stain's share is the pixel's stain; above a
/// threshold the gene counts as active there.
/// </summary>
public sealed class StainSeparation
{
    public float[] StainDirection { get; init; } = { 0.85f, 0.95f, 0.30f };
    public float[] DensityDirection { get; init; } = { 1f, 1f, 1f };
    public float[] TintDirection { get; init; } = { 0.15f, 0.25f, 0.95f };
    /// <summary>Stain optical density above which a pixel counts as expressing.</summary>
    public float ActiveThreshold { get; init; } = 0.3f;

    /// <summary>Stain amount per pixel (H x W) of an HxWx3 RGB byte image; the background colour is the border's median.</summary>
    public float[] Stain(byte[] rgb, int width, int height)
    {
        if (rgb.Length != width * height * 3) throw new ArgumentException("stain separation needs RGB images (3 channels)");
        var bg = Background(rgb, width, height);
        // OD = a s + b d + c t: invert the 3x3 matrix of unit directions once; a is the first row applied to OD
        var m = new[] { Unit(StainDirection), Unit(DensityDirection), Unit(TintDirection) };
        var row = StainRow(m);
        var result = new float[width * height];
        for (int i = 0; i < result.Length; i++)
        {
            float a = 0;
            for (int c = 0; c < 3; c++) a += row[c] * MathF.Max(0, -MathF.Log(MathF.Max(rgb[i * 3 + c], 1) / bg[c]));
            result[i] = MathF.Max(0, a);
        }
        return result;
    }

    /// <summary>1 where the gene is active (stain, averaged over 3x3 pixels against sensor noise, above the threshold), else 0.</summary>
    public float[] Active(byte[] rgb, int width, int height)
    {
        var stain = Stain(rgb, width, height);
        var active = new float[stain.Length];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                float sum = 0;
                int n = 0;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        int yy = y + dy, xx = x + dx;
                        if (yy < 0 || xx < 0 || yy >= height || xx >= width) continue;
                        sum += stain[yy * width + xx];
                        n++;
                    }
                active[y * width + x] = sum / n > ActiveThreshold ? 1f : 0f;
            }
        return active;
    }

    private static float[] Background(byte[] rgb, int w, int h)
    {
        var bg = new float[3];
        for (int c = 0; c < 3; c++)
        {
            var values = new List<byte>();
            for (int x = 0; x < w; x++) { values.Add(rgb[x * 3 + c]); values.Add(rgb[((h - 1) * w + x) * 3 + c]); }
            for (int y = 0; y < h; y++) { values.Add(rgb[y * w * 3 + c]); values.Add(rgb[(y * w + w - 1) * 3 + c]); }
            values.Sort();
            bg[c] = Math.Max(1, (int)values[values.Count / 2]);
        }
        return bg;
    }

    private static float[] Unit(float[] v)
    {
        float n = MathF.Sqrt(Dot(v, v));
        return v.Select(x => x / n).ToArray();
    }

    private static float Dot(float[] a, float[] b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

    /// <summary>The first row of the inverse of the matrix whose columns are the three directions.</summary>
    private static float[] StainRow(float[][] d)
    {
        // columns s, n, t; inverse row 0 = (n x t) / det
        var cross = new[]
        {
            d[1][1] * d[2][2] - d[1][2] * d[2][1], d[1][2] * d[2][0] - d[1][0] * d[2][2], d[1][0] * d[2][1] - d[1][1] * d[2][0]
        };
        float det = Dot(d[0], cross);
        if (MathF.Abs(det) < 1e-6f) throw new ArgumentException("the stain, density and tint directions must be linearly independent");
        return cross.Select(v => v / det).ToArray();
    }
}
