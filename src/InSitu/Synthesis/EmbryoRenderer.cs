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

/// <summary>
/// Nuisances of one photograph: the light (level at the centre, red and blue gains against green, slope, vignetting), the stain chemistry
/// (strength, hue, a faint stain of the whole embryo), the unstained tissue's optical density, the DIC relief (strength
/// and shear direction, degrees, image y down), optics and sensor. <see cref="WhiteSurround"/>: a standard view,
/// white outside the embryo as in the standardised BDGP images.
/// </summary>
public sealed record PhotoConditions(
    float Background, float TintRed, float TintBlue, float IlluminationSlope, float IlluminationAngle, float Vignette,
    float StainStrength, float StainHue, float BackgroundStain, float TissueDensity, float DicStrength, float ShearDegrees,
    float StainSoftness, float Blur, float NoiseSigma, float DefocusShare, float DefocusAngle, bool WhiteSurround)
{
    /// <summary>
    /// A raw frame's conditions, in the ranges measured on real BDGP photos: the light 210-262 at the centre (bright
    /// photos clip at white) and up to a quarter darker in the corners, neutral to slightly cyan (red up to 6% weaker)
    /// or warm (blue up to 5% weaker); stain from faint to saturated; tissue nearly clear, a faint stain everywhere;
    /// the shear lighting the embryo's lower-left side (mirrored in a fifth of the photos).
    /// </summary>
    public static PhotoConditions DrawRaw(SeededRandom r)
    {
        float shear = r.Uniform(-80f, -10f);
        if (r.Chance(0.2f)) shear += 180;
        return new PhotoConditions(
            Background: r.Uniform(210, 262), TintRed: r.Uniform(0.95f, 1.01f), TintBlue: r.Uniform(0.96f, 1.02f),
            IlluminationSlope: r.Uniform(0f, 0.08f), IlluminationAngle: r.Uniform(0, 2 * MathF.PI), Vignette: r.Uniform(0.05f, 0.25f),
            StainStrength: MathF.Exp(r.Uniform(MathF.Log(0.3f), MathF.Log(4f))), StainHue: r.Uniform(-0.08f, 0.08f),
            BackgroundStain: r.Uniform(0.02f, 0.1f), TissueDensity: r.Uniform(0f, 0.04f), DicStrength: r.Uniform(0.7f, 1.3f),
            ShearDegrees: shear, StainSoftness: r.Uniform(0.06f, 0.14f), Blur: r.Uniform(0.6f, 1.2f), NoiseSigma: r.Uniform(0.8f, 2f),
            DefocusShare: 0, DefocusAngle: 0, WhiteSurround: false);
    }

    /// <summary>
    /// A standard view's: the embryo lit as in a raw frame (without the frame's vignetting), white around it; the shear
    /// turned with the embryo when it was straightened (and mirrored when anterior was turned left or dorsal up);
    /// sometimes part of the embryo out of focus.
    /// </summary>
    public static PhotoConditions DrawStandard(SeededRandom r)
    {
        var raw = DrawRaw(r);
        float shear = raw.ShearDegrees;
        if (r.Chance(0.5f)) shear = 180 - shear;
        if (r.Chance(0.5f)) shear = -shear;
        return raw with
        {
            Background = r.Uniform(205, 250),
            Vignette = 0,
            IlluminationSlope = r.Uniform(0f, 0.04f),
            ShearDegrees = shear,
            Blur = r.Uniform(0.25f, 0.5f),
            WhiteSurround = true,
            DefocusShare = r.Chance(0.15f) ? r.Uniform(0.3f, 0.8f) : 0,
            DefocusAngle = r.Uniform(0, 2 * MathF.PI),
        };
    }
}

/// <summary>
/// Paints embryos into an RGB image as a BDGP microscope shows them. Each embryo is nearly transparent: what shows is
/// its relief under differential interference contrast (DIC), the directional derivative of its optical path along
/// the shear. The path is a height field: the embryo's thickness (an ellipsoid, whose steep edge gives the bright and
/// the dark rim on opposite sides), its morphology (furrows, germ band, segments, head and gut from the model's tissue
/// density) and its stage's cellular grain (<see cref="EmbryoModel.Grain"/>). Colour comes from Beer-Lambert
/// absorbance: faint tissue, a faint stain everywhere and the gene's NBT/BCIP stain, spread softly, with the hue
/// measured on real photos (absorbing red and green about equally, blue half as much). Then blur, partial defocus and
/// sensor noise.
/// </summary>
public static class EmbryoRenderer
{
    // optical density of NBT/BCIP per channel, measured on saturated stain in real BDGP photos (R, G, B)
    private static readonly float[] StainAbsorbance = { 0.97f, 1f, 0.47f };


    // DIC contrast per unit slope (in half-heights) of the thickness dome, the tissue density and the grain
    private const float DomeRelief = 0.03f, MorphologyRelief = 0.04f, GrainRelief = 0.065f;

    // the thickness profile is rounded off within about this share of the half-height of the outline, so the rim
    // is as wide, in body terms, in a 320x128 view as in a 1520x1080 frame
    private const float RimRounding = 0.15f;

    // standard normal quantiles: sensor noise needs many draws, and a table lookup is far cheaper than Box-Muller
    private static readonly float[] Gaussian = MakeGaussianTable(4096);

    private static float[] MakeGaussianTable(int n)
    {
        var table = new float[n];
        var r = new SeededRandom(12345);
        for (int i = 0; i < n; i++) table[i] = r.Normal();
        return table;
    }

    /// <summary>
    /// What the embryos leave per pixel (coverage, optical path for DIC, optical density per channel) and the colour
    /// image built from them. Thousands of images are rendered in a row: each thread keeps its buffers for the next
    /// image (up to a standard view's size; raw frames get their own), instead of mapping fresh memory every time.
    /// </summary>
    private sealed class Layers
    {
        private const int KeptPixels = 1 << 17;

        [ThreadStatic] private static Layers? _kept;

        public float[] Cover = Array.Empty<float>(), Path = Array.Empty<float>(), Density = Array.Empty<float>();
        public float[] Rgb = Array.Empty<float>(), Blurred = Array.Empty<float>(), Scratch = Array.Empty<float>();

        public static Layers For(int pixels)
        {
            var layers = pixels <= KeptPixels ? _kept ??= new Layers() : new Layers();
            if (layers.Cover.Length < pixels)
            {
                int n = pixels <= KeptPixels ? KeptPixels : pixels;
                layers.Cover = new float[n]; layers.Path = new float[n]; layers.Density = new float[3 * n];
                layers.Rgb = new float[3 * n]; layers.Blurred = new float[3 * n]; layers.Scratch = new float[3 * n];
            }
            else
            {
                Array.Clear(layers.Cover, 0, pixels); Array.Clear(layers.Path, 0, pixels); Array.Clear(layers.Density, 0, 3 * pixels);
            }
            return layers;
        }
    }

    /// <summary>Renders the embryos (the first on top) into an HxWx3 byte image.</summary>
    public static byte[] Render(int width, int height, IReadOnlyList<(EmbryoModel model, EmbryoPlacement at)> embryos,
        PhotoConditions photo, SeededRandom random) => Render(width, height, embryos, photo, random, out _);

    /// <summary>Renders the embryos (the first on top), and gives the first one's mask: where it covers at least half a pixel.</summary>
    public static byte[] Render(int width, int height, IReadOnlyList<(EmbryoModel model, EmbryoPlacement at)> embryos,
        PhotoConditions photo, SeededRandom random, out bool[] topMask)
    {
        uint seed = random.NextUInt();
        int pixels = width * height;
        var layers = Layers.For(pixels);
        topMask = new bool[pixels];
        for (int e = embryos.Count - 1; e >= 0; e--)
            PaintEmbryo(layers, width, height, embryos[e].model, embryos[e].at, photo, seed + (uint)e * 7919, e == 0 ? topMask : null);
        Compose(layers, width, height, photo, seed);
        var sharp = layers.Rgb;
        if (photo.Blur >= 0.2f)
        {
            Imaging.GaussianBlur.Apply(layers.Rgb, layers.Blurred, 0, width, height, 3, photo.Blur, layers.Scratch);
            sharp = layers.Blurred;
        }
        if (photo.DefocusShare > 0) Defocus(sharp, width, height, photo);
        var bytes = new byte[3 * pixels];
        for (int i = 0; i < bytes.Length; i++)
        {
            float v = sharp[i] + photo.NoiseSigma * Gaussian[(int)(random.NextUInt() >> 20)];
            bytes[i] = (byte)Math.Clamp((int)(v + 0.5f), 0, 255);
        }
        // a standard view is cut out of its photo: white wherever the embryo covers less than half the pixel
        if (photo.WhiteSurround)
            for (int k = 0; k < pixels; k++)
                if (layers.Cover[k] < 0.5f) bytes[3 * k] = bytes[3 * k + 1] = bytes[3 * k + 2] = 255;
        return bytes;
    }

    /// <summary>
    /// The grey level of the light reaching the camera without a specimen (level, slope, vignetting, slow unevenness),
    /// on a coarse grid of <paramref name="cell"/>-pixel squares: it varies slowly and is interpolated.
    /// </summary>
    private static float[] Light(int width, int height, PhotoConditions photo, uint seed, int cell, int gw, int gh)
    {
        var grid = new float[gw * gh];
        float gx = MathF.Cos(photo.IlluminationAngle) * photo.IlluminationSlope;
        float gy = MathF.Sin(photo.IlluminationAngle) * photo.IlluminationSlope;
        float scale = 1f / Math.Max(width, height);
        for (int j = 0; j < gh; j++)
            for (int i = 0; i < gw; i++)
            {
                float x = i * cell, y = j * cell;
                // u, v: -1..1 across the frame; the corners lie at radius^2 = 1
                float u = (x - width / 2f) / (width / 2f), v = (y - height / 2f) / (height / 2f);
                grid[j * gw + i] = photo.Background * (1 + gx * u + gy * v - photo.Vignette * (u * u + v * v) / 2
                                                      + 0.015f * (Noise.Value(x * scale, y * scale, 6, seed) - 0.5f));
            }
        return grid;
    }

    private static void PaintEmbryo(Layers layers, int width, int height, EmbryoModel model, EmbryoPlacement at, PhotoConditions photo,
        uint seed, bool[]? mask)
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

        // Tissue density and stain vary more slowly than the grain: sample them on a grid of about 40 points per
        // half-height and interpolate, while coverage, thickness and grain are computed at every pixel.
        int step = Math.Clamp((int)MathF.Round(B / 40), 1, 8);
        int gw = (x1 - x0) / step + 2, gh = (y1 - y0) / step + 2;
        var gridDensity = new float[gw * gh];
        var gridStain = new float[gw * gh];
        for (int j = 0; j < gh; j++)
            for (int i = 0; i < gw; i++)
            {
                var (bx, by) = Body(x0 + step * i, y0 + step * j);
                if (!model.Locate(bx, by, pixel, out _, out var p)) continue;
                (gridDensity[j * gw + i], gridStain[j * gw + i]) = model.Appearance(p);
                // stain is taken up unevenly
                gridStain[j * gw + i] *= 0.85f + 0.3f * Noise.Value(p.Px, p.Py, 6f, seed + 3);
            }
        // stain diffuses: soft edges of StainSoftness half-heights
        float soft = photo.StainSoftness * B / step;
        if (soft >= 0.3f)
        {
            var blurred = new float[gridStain.Length];
            Imaging.GaussianBlur.Apply(gridStain, blurred, 0, gw, gh, 1, soft);
            gridStain = blurred;
        }

        // optical path in pixels x contrast, so its gradient per pixel is the DIC contrast
        float dome = DomeRelief * B * photo.DicStrength, morphology = MorphologyRelief * B * photo.DicStrength;
        float grain = GrainRelief * B * photo.DicStrength;
        float hue = photo.StainHue;
        float sr = StainAbsorbance[0] * (1 + hue), sg = StainAbsorbance[1], sb = StainAbsorbance[2] * (1 - 2 * hue);
        float inv = 1f / step;
        for (int py = y0; py <= y1; py++)
        {
            int j = (py - y0) / step;
            float fy = ((py - y0) - j * step) * inv;
            for (int px = x0; px <= x1; px++)
            {
                var (bx, by) = Body(px, py);
                if (!model.Locate(bx, by, pixel, out float alpha, out var p) || alpha <= 0) continue;
                int i = (px - x0) / step;
                float fx = ((px - x0) - i * step) * inv;
                int g = j * gw + i;
                float density = Bilinear(gridDensity, g, gw, fx, fy), stain = Bilinear(gridStain, g, gw, fx, fy);
                float thickness = MathF.Sqrt(p.Thickness * p.Thickness + RimRounding * RimRounding) - RimRounding;
                // relief and grain fade out at the outline, where the embryo thins to nothing
                float edge = EmbryoModel.Smooth(0f, 0.3f, p.Thickness);
                float path = dome * thickness + edge * (morphology * density + grain * model.Grain(p));
                float tissue = photo.TissueDensity * (0.4f + 0.6f * p.Thickness) * (0.7f + 1.5f * density);
                float s = photo.StainStrength * stain + photo.BackgroundStain * p.Thickness;
                // NBT/BCIP saturates: its optical density levels off below 2.2
                s = 2.2f * s / (2.2f + s);
                int k = py * width + px;
                if (mask is not null) mask[k] = alpha >= 0.5f;
                layers.Cover[k] += alpha * (1 - layers.Cover[k]);
                layers.Path[k] += alpha * (path - layers.Path[k]);
                layers.Density[3 * k] += alpha * (tissue + s * sr - layers.Density[3 * k]);
                layers.Density[3 * k + 1] += alpha * (tissue + s * sg - layers.Density[3 * k + 1]);
                layers.Density[3 * k + 2] += alpha * (tissue + s * sb - layers.Density[3 * k + 2]);
            }
        }
    }

    /// <summary>Light x DIC relief x absorbance, into <see cref="Layers.Rgb"/>; the light is tinted per channel.</summary>
    private static void Compose(Layers layers, int width, int height, PhotoConditions photo, uint seed)
    {
        int cell = Math.Max(8, Math.Max(width, height) / 48);
        int gw = width / cell + 2, gh = height / cell + 2;
        var light = Light(width, height, photo, seed, cell, gw, gh);
        float shear = photo.ShearDegrees * MathF.PI / 180, cx = MathF.Cos(shear) / 2, cy = MathF.Sin(shear) / 2;
        float tintR = photo.TintRed, tintB = photo.TintBlue;
        var rgb = layers.Rgb;
        var path = layers.Path;
        var cover = layers.Cover;
        var density = layers.Density;
        for (int y = 0; y < height; y++)
        {
            int ym = Math.Max(y - 1, 0) * width, yp = Math.Min(y + 1, height - 1) * width;
            int j = y / cell;
            float fy = (y - j * cell) / (float)cell;
            for (int x = 0; x < width; x++)
            {
                int i = x / cell;
                float b = Bilinear(light, j * gw + i, gw, (x - i * cell) / (float)cell, fy);
                int k = y * width + x, xm = Math.Max(x - 1, 0), xp = Math.Min(x + 1, width - 1);
                if (cover[k] > 0 || cover[y * width + xm] > 0 || cover[y * width + xp] > 0 || cover[ym + x] > 0 || cover[yp + x] > 0)
                {
                    float gradient = cx * (path[y * width + xp] - path[y * width + xm]) + cy * (path[yp + x] - path[ym + x]);
                    b *= Math.Clamp(1 + gradient, 0.35f, 1.8f);
                }
                if (cover[k] > 0)
                {
                    rgb[3 * k] = b * tintR * MathF.Exp(-density[3 * k]);
                    rgb[3 * k + 1] = b * MathF.Exp(-density[3 * k + 1]);
                    rgb[3 * k + 2] = b * tintB * MathF.Exp(-density[3 * k + 2]);
                }
                else
                {
                    rgb[3 * k] = b * tintR;
                    rgb[3 * k + 1] = b;
                    rgb[3 * k + 2] = b * tintB;
                }
            }
        }
    }

    /// <summary>Part of the embryo lies outside the focal plane: blend towards a strongly blurred copy along a ramp.</summary>
    private static void Defocus(float[] sharp, int width, int height, PhotoConditions photo)
    {
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
