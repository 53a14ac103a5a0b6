using InSitu.Common;

namespace InSitu.Synthesis;

/// <summary>Where one embryo lies in an image: centre, half-length in pixels and angle of its anterior-posterior axis.</summary>
public readonly record struct EmbryoPlacement(float CenterX, float CenterY, float HalfLength, float AngleDegrees,
    float Aspect = EmbryoModel.Aspect)
{
    public float HalfHeight => HalfLength / Aspect;

    /// <summary>Distance from the centre to the outline in image direction <paramref name="directionDegrees"/>.</summary>
    public float RadiusToward(float directionDegrees)
    {
        float a = (directionDegrees - AngleDegrees) * MathF.PI / 180;
        float A = HalfLength, B = HalfHeight;
        return A * B / MathF.Sqrt(Sq(B * MathF.Cos(a)) + Sq(A * MathF.Sin(a)));
    }

    /// <summary>Half-width and half-height of the rotated embryo's bounding box.</summary>
    public (float x, float y) Extent
    {
        get
        {
            float a = AngleDegrees * MathF.PI / 180, c = MathF.Cos(a), s = MathF.Sin(a);
            return (MathF.Sqrt(Sq(HalfLength * c) + Sq(HalfHeight * s)), MathF.Sqrt(Sq(HalfLength * s) + Sq(HalfHeight * c)));
        }
    }

    private static float Sq(float v) => v * v;
}

/// <summary>Nuisances of one photograph: light, stain chemistry, optics and sensor.</summary>
public sealed record PhotoConditions(
    float Background, float Warmth, float IlluminationSlope, float IlluminationAngle, float Vignette,
    float StainStrength, float StainHue, float Blur, float NoiseSigma, float DefocusShare, float DefocusAngle)
{
    public static PhotoConditions Draw(SeededRandom r) => new(
        Background: r.Uniform(214, 242), Warmth: r.Uniform(0f, 14f), IlluminationSlope: r.Uniform(0f, 0.08f),
        IlluminationAngle: r.Uniform(0, 2 * MathF.PI), Vignette: r.Uniform(0f, 0.08f),
        StainStrength: MathF.Exp(0.35f * r.Normal()), StainHue: r.Uniform(-0.15f, 0.15f),
        Blur: r.Uniform(0.3f, 1.2f), NoiseSigma: r.Uniform(1.5f, 5f),
        DefocusShare: r.Chance(0.15f) ? r.Uniform(0.3f, 0.8f) : 0, DefocusAngle: r.Uniform(0, 2 * MathF.PI));
}

/// <summary>
/// Paints embryos into an RGB image in the BDGP style: light background, grey-beige embryo darker where tissue is
/// dense, blue/purple NBT/BCIP stain absorbing mostly red and green (Beer-Lambert), then blur, partial defocus
/// and sensor noise.
/// </summary>
public static class EmbryoRenderer
{
    // optical density of the stain per channel: strong in red and green, weak in blue, so it looks blue-purple
    private static readonly float[] StainAbsorbance = { 0.85f, 0.95f, 0.3f };

    // standard normal quantiles: sensor noise needs many draws, and a table lookup is far cheaper than Box-Muller
    private static readonly float[] Gaussian = MakeGaussianTable(4096);

    private static float[] MakeGaussianTable(int n)
    {
        var table = new float[n];
        var r = new SeededRandom(12345);
        for (int i = 0; i < n; i++) table[i] = r.Normal();
        return table;
    }

    /// <summary>Renders the embryos (the first on top) into an HxWx3 byte image.</summary>
    public static byte[] Render(int width, int height, IReadOnlyList<(EmbryoModel model, EmbryoPlacement at)> embryos,
        PhotoConditions photo, SeededRandom random)
    {
        var rgb = new float[width * height * 3];
        uint seed = random.NextUInt();
        PaintBackground(rgb, width, height, photo, seed);
        for (int e = embryos.Count - 1; e >= 0; e--)
            PaintEmbryo(rgb, width, height, embryos[e].model, embryos[e].at, photo, seed + (uint)e * 7919);
        var sharp = Blur(rgb, width, height, photo.Blur);
        if (photo.DefocusShare > 0)
        {
            // part of the embryo lies outside the focal plane: blend towards a strongly blurred copy along a ramp
            var soft = Blur(sharp, width, height, 2.5f + 3 * photo.DefocusShare);
            float dx = MathF.Cos(photo.DefocusAngle), dy = MathF.Sin(photo.DefocusAngle);
            float half = 0.5f * MathF.Sqrt(width * width + height * height);
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    float along = ((x - width / 2f) * dx + (y - height / 2f) * dy) / half; // -1..1
                    float w = EmbryoModel.Smooth(1 - 2 * photo.DefocusShare, 1, along);
                    int i = (y * width + x) * 3;
                    for (int c = 0; c < 3; c++) sharp[i + c] += w * (soft[i + c] - sharp[i + c]);
                }
        }
        var bytes = new byte[rgb.Length];
        for (int i = 0; i < bytes.Length; i++)
        {
            float v = sharp[i] + photo.NoiseSigma * Gaussian[(int)(random.NextUInt() >> 20)];
            bytes[i] = (byte)Math.Clamp((int)(v + 0.5f), 0, 255);
        }
        return bytes;
    }

    private static void PaintBackground(float[] rgb, int width, int height, PhotoConditions photo, uint seed)
    {
        // illumination varies slowly: compute it on a coarse grid and interpolate
        const int cell = 8;
        int gw = width / cell + 2, gh = height / cell + 2;
        var light = new float[gw * gh];
        float gx = MathF.Cos(photo.IlluminationAngle) * photo.IlluminationSlope, gy = MathF.Sin(photo.IlluminationAngle)
            * photo.IlluminationSlope;
        float scale = 1f / Math.Max(width, height);
        for (int j = 0; j < gh; j++)
            for (int i = 0; i < gw; i++)
            {
                float x = i * cell, y = j * cell;
                float u = (x - width / 2f) * scale * 2, v = (y - height / 2f) * scale * 2;
                light[j * gw + i] = photo.Background * (1 + gx * u + gy * v - photo.Vignette * (u * u + v * v)
                                                        + 0.015f * (Noise.Value(x * scale, y * scale, 6, seed) - 0.5f));
            }
        for (int y = 0; y < height; y++)
        {
            int j = y / cell;
            float fy = (y - j * cell) / (float)cell;
            for (int x = 0; x < width; x++)
            {
                int i = x / cell;
                float fx = (x - i * cell) / (float)cell;
                float top = light[j * gw + i] + fx * (light[j * gw + i + 1] - light[j * gw + i]);
                float bottom = light[(j + 1) * gw + i] + fx * (light[(j + 1) * gw + i + 1] - light[(j + 1) * gw + i]);
                float b = top + fy * (bottom - top);
                int k = (y * width + x) * 3;
                rgb[k] = b + 0.5f * photo.Warmth;
                rgb[k + 1] = b;
                rgb[k + 2] = b - photo.Warmth;
            }
        }
    }

    private static void PaintEmbryo(float[] rgb, int width, int height, EmbryoModel model, EmbryoPlacement at,
        PhotoConditions photo, uint seed)
    {
        float angle = at.AngleDegrees * MathF.PI / 180, cos = MathF.Cos(angle), sin = MathF.Sin(angle);
        float A = at.HalfLength, B = at.HalfHeight, pixel = 1 / B;
        var (ex, ey) = at.Extent;
        ex += 3; ey += 3;
        int x0 = Math.Max(0, (int)(at.CenterX - ex)), x1 = Math.Min(width - 1, (int)(at.CenterX + ex) + 1);
        int y0 = Math.Max(0, (int)(at.CenterY - ey)), y1 = Math.Min(height - 1, (int)(at.CenterY + ey) + 1);
        if (x0 > x1 || y0 > y1) return;
        (float bx, float by) Body(float px, float py)
        {
            float dx = px - at.CenterX, dy = py - at.CenterY;
            return ((dx * cos + dy * sin) / A, -(-dx * sin + dy * cos) / B);
        }

        // Appearance varies more slowly than the outline: sample it every other pixel and interpolate, while
        // coverage (the sharp edge) is computed at every pixel.
        int gw = (x1 - x0) / 2 + 2, gh = (y1 - y0) / 2 + 2;
        var gridDensity = new float[gw * gh];
        var gridStain = new float[gw * gh];
        for (int j = 0; j < gh; j++)
            for (int i = 0; i < gw; i++)
            {
                var (bx, by) = Body(x0 + 2 * i, y0 + 2 * j);
                if (!model.Locate(bx, by, pixel, out _, out var p)) continue;
                (gridDensity[j * gw + i], gridStain[j * gw + i]) = model.Appearance(p);
            }

        float absorbR = StainAbsorbance[0] * (1 + photo.StainHue), absorbB = StainAbsorbance[2] * (1 - photo.StainHue);
        float stainScale = photo.StainStrength;
        for (int py = y0; py <= y1; py++)
        {
            int j = (py - y0) >> 1;
            float fy = ((py - y0) & 1) * 0.5f;
            for (int px = x0; px <= x1; px++)
            {
                var (bx, by) = Body(px, py);
                if (!model.Locate(bx, by, pixel, out float alpha, out _) || alpha <= 0) continue;
                int i = (px - x0) >> 1;
                float fx = ((px - x0) & 1) * 0.5f;
                int g = j * gw + i;
                float density = Bilinear(gridDensity, g, gw, fx, fy), stain = Bilinear(gridStain, g, gw, fx, fy);
                int k = (py * width + px) * 3;
                // the embryo transmits less light than the slide; dense tissue still less
                float baseLight = photo.Background * (0.97f - 0.75f * density);
                float r = baseLight * 0.97f + 0.5f * photo.Warmth, gr = baseLight * 0.93f, b = baseLight * 0.8f - photo.Warmth;
                if (stain > 0)
                {
                    float s = stain * stainScale * (0.8f + 0.4f * Noise.Value(bx * EmbryoModel.Aspect, by, 9, seed + 3));
                    r *= MathF.Exp(-s * absorbR);
                    gr *= MathF.Exp(-s * StainAbsorbance[1]);
                    b *= MathF.Exp(-s * absorbB);
                }
                rgb[k] += alpha * (r - rgb[k]);
                rgb[k + 1] += alpha * (gr - rgb[k + 1]);
                rgb[k + 2] += alpha * (b - rgb[k + 2]);
            }
        }
    }

    /// <summary>Where one embryo covers at least half of a pixel (its mask in an image of this size).</summary>
    public static bool[] Coverage(int width, int height, EmbryoModel model, EmbryoPlacement at)
    {
        var mask = new bool[width * height];
        float angle = at.AngleDegrees * MathF.PI / 180, cos = MathF.Cos(angle), sin = MathF.Sin(angle);
        float pixel = 1 / at.HalfHeight;
        var (ex, ey) = at.Extent;
        int x0 = Math.Max(0, (int)(at.CenterX - ex - 2)), x1 = Math.Min(width - 1, (int)(at.CenterX + ex) + 2);
        int y0 = Math.Max(0, (int)(at.CenterY - ey - 2)), y1 = Math.Min(height - 1, (int)(at.CenterY + ey) + 2);
        for (int py = y0; py <= y1; py++)
            for (int px = x0; px <= x1; px++)
            {
                float dx = px - at.CenterX, dy = py - at.CenterY;
                float bx = (dx * cos + dy * sin) / at.HalfLength, by = -(-dx * sin + dy * cos) / at.HalfHeight;
                mask[py * width + px] = model.Locate(bx, by, pixel, out float alpha, out _) && alpha >= 0.5f;
            }
        return mask;
    }

    private static float Bilinear(float[] grid, int g, int gw, float fx, float fy)
    {
        float top = grid[g] + fx * (grid[g + 1] - grid[g]);
        float bottom = grid[g + gw] + fx * (grid[g + gw + 1] - grid[g + gw]);
        return top + fy * (bottom - top);
    }

    /// <summary>Gaussian blur of an interleaved RGB float image (below sigma 0.2 a copy).</summary>
    public static float[] Blur(float[] src, int width, int height, float sigma)
    {
        if (sigma < 0.2f) return (float[])src.Clone();
        var dst = new float[src.Length];
        Imaging.GaussianBlur.Apply(src, dst, 0, width, height, 3, sigma);
        return dst;
    }
}
