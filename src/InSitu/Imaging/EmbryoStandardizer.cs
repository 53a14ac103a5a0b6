namespace InSitu.Imaging;

/// <summary>The outcome for one photo: the standardised pixels, or why there are none.</summary>
public sealed record StandardizeResult(bool Ok, string? Failure, byte[]? Pixels, int Width, int Height, int Channels,
    float AngleDegrees, float Elongation, float AreaShare)
{
    public static StandardizeResult Fail(string why, float angle = 0, float elongation = 0, float area = 0) =>
        new(false, why, null, 0, 0, 0, angle, elongation, area);
}

/// <summary>
/// Turns a raw lateral-view photo into a BDGP-style standard image: find the embryo (darker than the light
/// background; the largest component, holes filled), cut away touching neighbours (erode until the narrow contact
/// breaks, keep the largest core, grow it back inside the original mask), turn its major axis horizontal, crop,
/// scale to fit the target size keeping the aspect ratio, and fill the rest with the background colour.
/// Anterior-posterior and dorsal-ventral direction are not decided: the embryo is turned by the smallest angle.
/// Photos it cannot standardise reliably are refused with a reason, never written as garbage.
/// </summary>
public sealed class EmbryoStandardizer
{
    public int Width { get; init; } = 320;
    public int Height { get; init; } = 128;
    /// <summary>Below this long-to-short axis ratio the embryo's axis is not defined well enough to straighten it.</summary>
    public float MinElongation { get; init; } = 1.4f;
    /// <summary>The embryo must cover at least this share of the frame.</summary>
    public float MinAreaShare { get; init; } = 0.005f;
    /// <summary>Free margin around the embryo in the output, as a share of its length.</summary>
    public float Margin { get; init; } = 0.03f;

    private const int WorkSide = 480; // masks are found on a copy at most this large

    /// <summary>Standardises HxWxC bytes (C = 1 or 3).</summary>
    public StandardizeResult Run(byte[] pixels, int width, int height, int channels)
    {
        if (pixels.Length != width * height * channels) throw new ArgumentException("pixel buffer does not match its size");
        float f = Math.Min(1f, (float)WorkSide / Math.Max(width, height));
        int ww = Math.Max(1, (int)(width * f)), wh = Math.Max(1, (int)(height * f));
        var gray = Downscale(pixels, width, height, channels, ww, wh);
        var smooth = BoxBlur(gray, ww, wh, 2);

        // anything clearly darker than the light background is embryo; the background's uneven light is modelled
        var mask = Foreground(smooth, ww, wh);
        FillHoles(mask, ww, wh);

        var (labels, sizes) = Components(mask, ww, wh);
        if (sizes.Count == 0) return StandardizeResult.Fail("no embryo found: nothing darker than the background");
        int largest = sizes.IndexOf(sizes.Max()) + 1;
        var embryo = new bool[mask.Length];
        for (int i = 0; i < mask.Length; i++) embryo[i] = labels[i] == largest;
        embryo = CutNeighbours(embryo, ww, wh);

        int area = embryo.Count(b => b);
        float share = (float)area / embryo.Length;
        if (share < MinAreaShare)
            return StandardizeResult.Fail($"no embryo found: the largest dark region covers only {share:P1} of the image", area: share);
        int onBorder = 0, perimeter = 0;
        for (int y = 0; y < wh; y++)
            for (int x = 0; x < ww; x++)
            {
                if (!embryo[y * ww + x]) continue;
                bool edge = x == 0 || y == 0 || x == ww - 1 || y == wh - 1;
                if (edge) onBorder++;
                if (edge || !embryo[y * ww + x - 1] || !embryo[y * ww + x + 1] || !embryo[(y - 1) * ww + x] || !embryo[(y + 1) * ww + x])
                    perimeter++;
            }
        if (onBorder > 0.03 * perimeter) return StandardizeResult.Fail("the embryo is cut by the edge of the photo", area: share);

        // moments: centre and major axis
        double sx = 0, sy = 0;
        for (int y = 0; y < wh; y++)
            for (int x = 0; x < ww; x++)
                if (embryo[y * ww + x]) { sx += x; sy += y; }
        double mx = sx / area, my = sy / area, cxx = 0, cyy = 0, cxy = 0;
        for (int y = 0; y < wh; y++)
            for (int x = 0; x < ww; x++)
                if (embryo[y * ww + x]) { cxx += (x - mx) * (x - mx); cyy += (y - my) * (y - my); cxy += (x - mx) * (y - my); }
        double angle = 0.5 * Math.Atan2(2 * cxy, cxx - cyy);
        double tr = (cxx + cyy) / area, det = (cxx * cyy - cxy * cxy) / (area * (double)area);
        double l1 = tr / 2 + Math.Sqrt(Math.Max(0, tr * tr / 4 - det)), l2 = tr / 2 - Math.Sqrt(Math.Max(0, tr * tr / 4 - det));
        float elongation = (float)Math.Sqrt(l1 / Math.Max(l2, 1e-9));
        float degrees = (float)(angle * 180 / Math.PI);
        if (elongation < MinElongation)
            return StandardizeResult.Fail($"the embryo is not elongated enough (axis ratio {elongation:F2} < {MinElongation}) to find " +
                $"its axis", degrees, elongation, share);

        // extent along and across the axis (work-scale pixels)
        double ca = Math.Cos(angle), sa = Math.Sin(angle);
        double minU = double.MaxValue, maxU = double.MinValue, minV = double.MaxValue, maxV = double.MinValue;
        for (int y = 0; y < wh; y++)
            for (int x = 0; x < ww; x++)
                if (embryo[y * ww + x])
                {
                    double u = (x - mx) * ca + (y - my) * sa, v = -(x - mx) * sa + (y - my) * ca;
                    minU = Math.Min(minU, u); maxU = Math.Max(maxU, u); minV = Math.Min(minV, v); maxV = Math.Max(maxV, v);
                }
        double length = maxU - minU + 1, thick = maxV - minV + 1;
        double pad = Margin * length;
        double scale = Math.Min(Width / (length + 2 * pad), Height / (thick + 2 * pad)); // output px per work px
        double cu = (minU + maxU) / 2, cv = (minV + maxV) / 2;

        var bg = BackgroundColour(pixels, width, height, channels);
        var grown = Dilate(embryo, ww, wh, 1);
        var output = new byte[Width * Height * channels];
        for (int oy = 0; oy < Height; oy++)
            for (int ox = 0; ox < Width; ox++)
            {
                double u = (ox - (Width - 1) / 2.0) / scale + cu, v = (oy - (Height - 1) / 2.0) / scale + cv;
                double wx = mx + u * ca - v * sa, wy = my + u * sa + v * ca; // work-scale position
                int o = (oy * Width + ox) * channels;
                int ix = (int)Math.Round(wx), iy = (int)Math.Round(wy);
                if (ix < 0 || iy < 0 || ix >= ww || iy >= wh || !grown[iy * ww + ix])
                {
                    for (int c = 0; c < channels; c++) output[o + c] = bg[c];
                    continue;
                }
                Sample(pixels, width, height, channels, (wx + 0.5) / f - 0.5, (wy + 0.5) / f - 0.5, output, o);
            }
        return new StandardizeResult(true, null, output, Width, Height, channels, degrees, elongation, share);
    }

    /// <summary>
    /// Erodes the mask by growing shares of its deepest point's distance to the background until it falls apart
    /// into substantial pieces: a convex embryo never does, two touching embryos do once the erosion exceeds their
    /// contact. The largest piece is then grown back inside the mask, each mask pixel going to the nearest piece.
    /// </summary>
    private static bool[] CutNeighbours(bool[] mask, int w, int h)
    {
        var dist = Distance(mask, w, h, inside: true);
        float depth = dist.Max();
        foreach (var share in new[] { 0.35f, 0.45f, 0.55f, 0.65f, 0.75f })
        {
            float r = share * depth;
            if (r < 2) continue;
            var core = new bool[mask.Length];
            for (int i = 0; i < mask.Length; i++) core[i] = dist[i] > r;
            var (labels, sizes) = Components(core, w, h);
            if (sizes.Count < 2) continue;
            int keep = sizes.IndexOf(sizes.Max()) + 1;
            if (sizes.Where((_, k) => k + 1 != keep).Max() < 0.05 * sizes[keep - 1]) continue;
            var main = new bool[mask.Length];
            var others = new bool[mask.Length];
            for (int i = 0; i < mask.Length; i++)
            {
                main[i] = labels[i] == keep;
                others[i] = labels[i] != 0 && labels[i] != keep;
            }
            var toMain = Distance(main, w, h, inside: false);
            var toOthers = Distance(others, w, h, inside: false);
            var result = new bool[mask.Length];
            for (int i = 0; i < mask.Length; i++) result[i] = mask[i] && toMain[i] <= toOthers[i] && toMain[i] <= r + 1.5f;
            // keep the part connected to the core
            var (l2, s2) = Components(result, w, h);
            int biggest = s2.IndexOf(s2.Max()) + 1;
            for (int i = 0; i < result.Length; i++) result[i] = l2[i] == biggest;
            return result;
        }
        return mask;
    }

    /// <summary>Chamfer (3-4) distance: inside=true gives each mask pixel its distance to the nearest non-mask pixel;
    /// inside=false gives every pixel its distance to the nearest mask pixel. In pixels.</summary>
    private static float[] Distance(bool[] mask, int w, int h, bool inside)
    {
        const float big = 1e9f;
        var d = new float[mask.Length];
        for (int i = 0; i < d.Length; i++) d[i] = (mask[i] == inside) ? big : 0;
        float Get(int x, int y) => x < 0 || y < 0 || x >= w || y >= h ? (inside ? 0 : big) : d[y * w + x];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                if (d[i] == 0) continue;
                d[i] = Math.Min(d[i],
                    Math.Min(Math.Min(Get(x - 1, y) + 3, Get(x, y - 1) + 3), Math.Min(Get(x - 1, y - 1) + 4, Get(x + 1, y - 1) + 4)));
            }
        for (int y = h - 1; y >= 0; y--)
            for (int x = w - 1; x >= 0; x--)
            {
                int i = y * w + x;
                if (d[i] == 0) continue;
                d[i] = Math.Min(d[i],
                    Math.Min(Math.Min(Get(x + 1, y) + 3, Get(x, y + 1) + 3), Math.Min(Get(x + 1, y + 1) + 4, Get(x - 1, y + 1) + 4)));
            }
        for (int i = 0; i < d.Length; i++) d[i] /= 3;
        return d;
    }

    /// <summary>4-connected components: a label per pixel (0 = background) and each component's size.</summary>
    private static (int[] labels, List<int> sizes) Components(bool[] mask, int w, int h)
    {
        var labels = new int[mask.Length];
        var sizes = new List<int>();
        var stack = new Stack<int>();
        for (int s = 0; s < mask.Length; s++)
        {
            if (!mask[s] || labels[s] != 0) continue;
            int label = sizes.Count + 1, size = 0;
            labels[s] = label;
            stack.Push(s);
            while (stack.Count > 0)
            {
                int i = stack.Pop();
                size++;
                int x = i % w, y = i / w;
                void Visit(int j) { if (mask[j] && labels[j] == 0) { labels[j] = label; stack.Push(j); } }
                if (x > 0) Visit(i - 1);
                if (x < w - 1) Visit(i + 1);
                if (y > 0) Visit(i - w);
                if (y < h - 1) Visit(i + w);
            }
            sizes.Add(size);
        }
        return (labels, sizes);
    }

    /// <summary>Background regions not reachable from the border are holes (e.g. a pale yolk) and join the mask.</summary>
    private static void FillHoles(bool[] mask, int w, int h)
    {
        var outside = new bool[mask.Length];
        var stack = new Stack<int>();
        void Seed(int i) { if (!mask[i] && !outside[i]) { outside[i] = true; stack.Push(i); } }
        for (int x = 0; x < w; x++) { Seed(x); Seed((h - 1) * w + x); }
        for (int y = 0; y < h; y++) { Seed(y * w); Seed(y * w + w - 1); }
        while (stack.Count > 0)
        {
            int i = stack.Pop(), x = i % w, y = i / w;
            if (x > 0) Seed(i - 1);
            if (x < w - 1) Seed(i + 1);
            if (y > 0) Seed(i - w);
            if (y < h - 1) Seed(i + w);
        }
        for (int i = 0; i < mask.Length; i++) mask[i] = !outside[i];
    }

    private static bool[] Dilate(bool[] mask, int w, int h, int r)
    {
        var d = Distance(mask, w, h, inside: false);
        var result = new bool[mask.Length];
        for (int i = 0; i < mask.Length; i++) result[i] = d[i] <= r + 0.01f;
        return result;
    }

    /// <summary>Mean grey level (0..255) over each work pixel's footprint in the original.</summary>
    private static float[] Downscale(byte[] px, int w, int h, int c, int ww, int wh)
    {
        var sum = new float[ww * wh];
        var count = new int[ww * wh];
        for (int y = 0; y < h; y++)
        {
            int wy = Math.Min(wh - 1, y * wh / h);
            for (int x = 0; x < w; x++)
            {
                int wx = Math.Min(ww - 1, x * ww / w), i = (y * w + x) * c;
                float g = c == 1 ? px[i] : 0.299f * px[i] + 0.587f * px[i + 1] + 0.114f * px[i + 2];
                sum[wy * ww + wx] += g;
                count[wy * ww + wx]++;
            }
        }
        for (int i = 0; i < sum.Length; i++) sum[i] /= Math.Max(1, count[i]);
        return sum;
    }

    private static float[] BoxBlur(float[] src, int w, int h, int r)
    {
        var tmp = new float[src.Length];
        var dst = new float[src.Length];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                float s = 0; int n = 0;
                for (int j = Math.Max(0, x - r); j <= Math.Min(w - 1, x + r); j++) { s += src[y * w + j]; n++; }
                tmp[y * w + x] = s / n;
            }
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                float s = 0; int n = 0;
                for (int j = Math.Max(0, y - r); j <= Math.Min(h - 1, y + r); j++) { s += tmp[j * w + x]; n++; }
                dst[y * w + x] = s / n;
            }
        return dst;
    }

    /// <summary>
    /// Pixels darker than the background by more than max(10, 4 x its noise). The background is a quadratic surface
    /// (illumination slope and vignetting) fitted first to the border, then to all pixels judged background.
    /// </summary>
    private static bool[] Foreground(float[] g, int w, int h)
    {
        var mask = new bool[g.Length];
        var use = new bool[g.Length];
        var fit = new float[g.Length];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                use[y * w + x] = x < 3 || y < 3 || x >= w - 3 || y >= h - 3;
        var coef = new double[6];
        for (int round = 0; round < 4; round++)
        {
            if (!FitQuadratic(g, use, w, h, coef)) break;
            var residuals = new List<float>();
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    int i = y * w + x;
                    double u = (double)x / w - 0.5, v = (double)y / h - 0.5;
                    fit[i] = (float)(coef[0] + coef[1] * u + coef[2] * v + coef[3] * u * u + coef[4] * v * v + coef[5] * u * v);
                    if (use[i]) residuals.Add(MathF.Abs(g[i] - fit[i]));
                }
            residuals.Sort();
            float margin = Math.Max(10, 4 * residuals[residuals.Count / 2]);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    int i = y * w + x;
                    mask[i] = g[i] < fit[i] - margin;
                    use[i] = !mask[i] && g[i] < fit[i] + margin && (x % 2 == 0) && (y % 2 == 0);
                }
        }
        return mask;
    }

    private static bool FitQuadratic(float[] g, bool[] use, int w, int h, double[] coef)
    {
        var m = new double[6, 7];
        Span<double> f = stackalloc double[6];
        int n = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                if (!use[y * w + x]) continue;
                double u = (double)x / w - 0.5, v = (double)y / h - 0.5;
                f[0] = 1; f[1] = u; f[2] = v; f[3] = u * u; f[4] = v * v; f[5] = u * v;
                for (int a = 0; a < 6; a++)
                {
                    for (int b = 0; b < 6; b++) m[a, b] += f[a] * f[b];
                    m[a, 6] += f[a] * g[y * w + x];
                }
                n++;
            }
        if (n < 12) return false;
        for (int a = 0; a < 6; a++) m[a, a] += 1e-6 * n; // keep it solvable when only the border is known
        for (int col = 0; col < 6; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < 6; r++) if (Math.Abs(m[r, col]) > Math.Abs(m[pivot, col])) pivot = r;
            for (int k = 0; k < 7; k++) (m[col, k], m[pivot, k]) = (m[pivot, k], m[col, k]);
            if (Math.Abs(m[col, col]) < 1e-12) return false;
            for (int r = 0; r < 6; r++)
            {
                if (r == col) continue;
                double factor = m[r, col] / m[col, col];
                for (int k = col; k < 7; k++) m[r, k] -= factor * m[col, k];
            }
        }
        for (int a = 0; a < 6; a++) coef[a] = m[a, 6] / m[a, a];
        return true;
    }

    /// <summary>Per-channel median of the photo's border: the colour to pad with.</summary>
    private static byte[] BackgroundColour(byte[] px, int w, int h, int c)
    {
        var result = new byte[c];
        for (int ch = 0; ch < c; ch++)
        {
            var values = new List<byte>();
            for (int x = 0; x < w; x += 2) { values.Add(px[x * c + ch]); values.Add(px[((h - 1) * w + x) * c + ch]); }
            for (int y = 0; y < h; y += 2) { values.Add(px[y * w * c + ch]); values.Add(px[(y * w + w - 1) * c + ch]); }
            values.Sort();
            result[ch] = values[values.Count / 2];
        }
        return result;
    }

    private static void Sample(byte[] px, int w, int h, int c, double x, double y, byte[] output, int o)
    {
        x = Math.Clamp(x, 0, w - 1);
        y = Math.Clamp(y, 0, h - 1);
        int x0 = (int)x, y0 = (int)y, x1 = Math.Min(x0 + 1, w - 1), y1 = Math.Min(y0 + 1, h - 1);
        double fx = x - x0, fy = y - y0;
        for (int ch = 0; ch < c; ch++)
        {
            double top = px[(y0 * w + x0) * c + ch] * (1 - fx) + px[(y0 * w + x1) * c + ch] * fx;
            double bottom = px[(y1 * w + x0) * c + ch] * (1 - fx) + px[(y1 * w + x1) * c + ch] * fx;
            output[o + ch] = (byte)Math.Clamp((int)Math.Round(top * (1 - fy) + bottom * fy), 0, 255);
        }
    }
}
