using System.Diagnostics;
using InSitu.Common;
using InSitu.Imaging;

namespace InSitu.Synthesis;

/// <summary>
/// What <see cref="EmCellImage"/> draws. Sizes are in pixels of the generated image (the defaults are the
/// seed's 3840x2920 TEM frame); <see cref="Scale"/> multiplies every length, for a smaller image of the same tissue.
/// </summary>
public sealed record EmCellOptions
{
    public int Width { get; init; } = 3840;
    public int Height { get; init; } = 2920;
    public int Seed { get; init; } = 1;
    /// <summary>Lengths (cell radii, membranes, organelles) are multiplied by this.</summary>
    public float Scale { get; init; } = 1;
    /// <summary>Radius range of the large cell type (class 1), before <see cref="Scale"/>.</summary>
    public float LargeRadiusMin { get; init; } = 75;
    public float LargeRadiusMax { get; init; } = 125;
    /// <summary>Radius range of the small cell type (class 2).</summary>
    public float SmallRadiusMin { get; init; } = 24;
    public float SmallRadiusMax { get; init; } = 42;
    /// <summary>Share of the frame the large cells aim to cover; small cells then fill gaps up to their share.</summary>
    public float LargeShare { get; init; } = 0.4f;
    public float SmallShare { get; init; } = 0.22f;
    /// <summary>Sensor noise (standard deviation on the [0, 1] scale) and the strength of uneven illumination.</summary>
    public float NoiseSigma { get; init; } = 0.05f;
    public float Illumination { get; init; } = 0.25f;

    public void Validate()
    {
        if (Width < 64 || Height < 64) throw new ArgumentException($"an EM image needs at least 64x64 pixels (got {Width}x{Height})");
        if ((long)Width * Height > 400_000_000) throw new ArgumentException($"{Width}x{Height} is larger than 400 megapixels");
        if (!(Scale > 0.05f && Scale <= 10)) throw new ArgumentException($"scale must be in (0.05, 10] (got {Scale})");
        if (!(LargeRadiusMin > 0 && LargeRadiusMin <= LargeRadiusMax && SmallRadiusMin > 0 && SmallRadiusMin <= SmallRadiusMax))
            throw new ArgumentException("cell radius ranges must be positive and ordered");
        if (LargeShare is < 0 or > 0.7f || SmallShare is < 0 or > 0.7f) throw new ArgumentException("cell shares must be in [0, 0.7]");
        if (NoiseSigma is < 0 or > 0.5f || Illumination is < 0 or > 0.8f)
            throw new ArgumentException("noise_sigma must be in [0, 0.5] and illumination in [0, 0.8]");
    }
}

/// <summary>
/// A transmission-electron-microscopy-like tissue image with full ground truth, for the segmentation workflow's
/// simulations (seed 003 works on a 3840x2920 TEM frame of zebrafish tissue). Two cell types packed with
/// extracellular matrix between them: large pale cells (class 1: large nucleus with heterochromatin and a nucleolus,
/// mitochondria with cristae, vesicles) and small dark cells (class 2: dense granular cytoplasm, a nucleus filling
/// most of the cell); the matrix (class 0) is lighter with fibrils. Cells are star-shaped outlines that meet in
/// shared membranes (dark lines), some cut by the frame. Then uneven illumination, a slight blur and sensor noise.
/// The same options give the same image, byte for byte.
/// </summary>
public static class EmCellImage
{
    public const byte Matrix = 0, LargeCell = 1, SmallCell = 2;
    public static readonly string[] ClassNames = { "matrix", "large cell", "small cell" };

    public sealed record Result(byte[] Image, byte[] Truth, int Width, int Height, int LargeCells, int SmallCells, double Seconds);

    private sealed class Cell
    {
        public float X, Y, Radius, Cos, Sin, Stretch, Tone, NucleusX, NucleusY, NucleusRadius, NucleolusX, NucleolusY;
        public byte Type;
        /// <summary>Whether the section cuts the nucleus (a thin section misses it in some cells).</summary>
        public bool HasNucleus;
        public float[] Amplitudes = Array.Empty<float>(), Phases = Array.Empty<float>();
        public uint Seed;

        /// <summary>Normalised distance: below 1 inside the outline, 1 on it.</summary>
        public float Distance(float px, float py)
        {
            float dx = px - X, dy = py - Y;
            float u = (Cos * dx + Sin * dy) / Stretch, v = (-Sin * dx + Cos * dy) * Stretch;
            float r = MathF.Sqrt(u * u + v * v);
            if (r < 1e-3f) return 0;
            float theta = MathF.Atan2(v, u), outline = 1;
            for (int k = 0; k < Amplitudes.Length; k++) outline += Amplitudes[k] * MathF.Cos((k + 2) * theta + Phases[k]);
            return r / (Radius * outline);
        }
    }

    public static Result Generate(EmCellOptions o)
    {
        o.Validate();
        var watch = Stopwatch.StartNew();
        var r = new SeededRandom((ulong)o.Seed * 0x2545F4914F6CDD1DUL + 17);
        int w = o.Width, h = o.Height, n = w * h;
        var cells = new List<Cell>();
        Place(cells, o, r, LargeCell, o.LargeRadiusMin * o.Scale, o.LargeRadiusMax * o.Scale, o.LargeShare, 0.68f);
        int large = cells.Count;
        Place(cells, o, r, SmallCell, o.SmallRadiusMin * o.Scale, o.SmallRadiusMax * o.Scale, o.SmallShare, 0.78f);

        // owner and the two smallest normalised distances per pixel: the outline split between touching cells and
        // the distance to the nearest membrane both follow from them
        var owner = new int[n];
        Array.Fill(owner, -1);
        var d1 = new float[n];
        var d2 = new float[n];
        var r2 = new float[n];
        Array.Fill(d1, float.MaxValue);
        Array.Fill(d2, float.MaxValue);
        for (int i = 0; i < cells.Count; i++)
        {
            var c = cells[i];
            float reach = c.Radius * 1.6f * MathF.Max(1, c.Stretch);
            int x0 = Math.Max(0, (int)(c.X - reach)), x1 = Math.Min(w - 1, (int)(c.X + reach));
            int y0 = Math.Max(0, (int)(c.Y - reach)), y1 = Math.Min(h - 1, (int)(c.Y + reach));
            for (int y = y0; y <= y1; y++)
                for (int x = x0; x <= x1; x++)
                {
                    int p = y * w + x;
                    float d = c.Distance(x, y);
                    if (d < d1[p])
                    {
                        (d2[p], r2[p]) = (d1[p], owner[p] >= 0 ? cells[owner[p]].Radius : c.Radius);
                        d1[p] = d;
                        owner[p] = i;
                    }
                    else if (d < d2[p])
                    {
                        d2[p] = d;
                        r2[p] = c.Radius;
                    }
                }
        }
        var truth = new byte[n];
        var nearestRadius = new float[n];
        for (int p = 0; p < n; p++)
        {
            if (owner[p] < 0) continue;
            nearestRadius[p] = cells[owner[p]].Radius;
            if (d1[p] < 1) truth[p] = cells[owner[p]].Type;
            else owner[p] = -1;
        }
        var image = new float[n];
        float scale = o.Scale;
        uint seed = (uint)o.Seed * 7919u;
        Parallel.For(0, h, y =>
        {
            for (int x = 0; x < w; x++)
            {
                int p = y * w + x;
                // a matrix pixel's distance to the nearest outline; a cell pixel's to its own membrane
                float membrane = owner[p] < 0
                    ? (nearestRadius[p] > 0 ? (d1[p] - 1) * nearestRadius[p] : float.MaxValue)
                    : CellMembraneDistance(cells[owner[p]], d1[p], d2[p], r2[p]);
                float tone = owner[p] < 0 ? MatrixTone(x, y, scale, seed) : CellTone(cells[owner[p]], x, y, scale);
                image[p] = tone - MembraneShade(membrane, scale);
            }
        });
        for (int i = 0; i < cells.Count; i++) DrawOrganelles(cells[i], owner, i, image, w, h, scale);

        var blurred = new float[n];
        GaussianBlur.Apply(image, blurred, 0, w, h, 1, 0.7f * MathF.Max(0.5f, scale));
        var bytes = new byte[n];
        uint light = seed + 101, grain = seed + 202;
        float gx = r.Uniform(-1, 1), gy = r.Uniform(-1, 1);
        Parallel.For(0, h, y =>
        {
            for (int x = 0; x < w; x++)
            {
                int p = y * w + x;
                float field = 1 + o.Illumination * (0.8f * (Noise.Value(x, y, 1f / 900, light) - 0.5f) +
                    0.4f * (gx * (x / (float)w - 0.5f) + gy * (y / (float)h - 0.5f)));
                float v = blurred[p] * field;
                // sensor noise: Gaussian, a little stronger where more electrons arrive (bright)
                float u1 = MathF.Max(Noise.Unit(Noise.Hash(x, y, grain)), 1e-7f), u2 = Noise.Unit(Noise.Hash(x, y, grain + 1));
                float gauss = MathF.Sqrt(-2 * MathF.Log(u1)) * MathF.Cos(2 * MathF.PI * u2);
                v += o.NoiseSigma * (0.6f + 0.6f * v) * gauss;
                bytes[p] = (byte)Math.Clamp(MathF.Round(v * 255), 0, 255);
            }
        });
        return new Result(bytes, truth, w, h, large, cells.Count - large, watch.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Writes image.png (8-bit grey) and truth.png (0 matrix, 1 large cell, 2 small cell) into <paramref name="folder"/>.
    /// </summary>
    public static (string Image, string Truth) Write(Result result, string folder)
    {
        Directory.CreateDirectory(folder);
        var image = Path.Combine(folder, "image.png");
        var truth = Path.Combine(folder, "truth.png");
        foreach (var (path, pixels) in new[] { (image, result.Image), (truth, result.Truth) })
        {
            using var png = new PngStreamWriter(path, result.Width, result.Height, PngFormat.Gray8);
            for (int y = 0; y < result.Height; y++) png.WriteRow(pixels.AsSpan(y * result.Width, result.Width));
            png.Complete();
        }
        return (image, truth);
    }

    /// <summary>
    /// Dart throwing: cells of radii in [min, max] until they cover about <paramref name="share"/> of the frame, each
    /// kept at least <paramref name="spacing"/> x (r1 + r2) from every other (below 1, neighbours press into each other).
    /// </summary>
    private static void Place(List<Cell> cells, EmCellOptions o, SeededRandom r, byte type, float min, float max, float share,
        float spacing)
    {
        double target = share * (double)o.Width * o.Height, covered = 0;
        int misses = 0;
        while (covered < target && misses < 4000)
        {
            float radius = r.Uniform(min, max);
            float x = r.Uniform(-0.3f * radius, o.Width + 0.3f * radius), y = r.Uniform(-0.3f * radius, o.Height + 0.3f * radius);
            bool free = true;
            foreach (var c in cells)
            {
                float dx = c.X - x, dy = c.Y - y, gap = spacing * (c.Radius + radius);
                if (dx * dx + dy * dy < gap * gap)
                {
                    free = false;
                    break;
                }
            }
            if (!free)
            {
                misses++;
                continue;
            }
            misses = 0;
            var cr = new SeededRandom(r.Fork());
            float angle = cr.Uniform(0, MathF.PI);
            var cell = new Cell
            {
                X = x,
                Y = y,
                Radius = radius,
                Type = type,
                Cos = MathF.Cos(angle),
                Sin = MathF.Sin(angle),
                Stretch = MathF.Sqrt(cr.Uniform(1, type == LargeCell ? 1.5f : 1.3f)),
                Amplitudes = Enumerable.Range(2, 4).Select(k => cr.Uniform(0, 0.16f / k)).ToArray(),
                Phases = Enumerable.Range(0, 4).Select(_ => cr.Uniform(0, 2 * MathF.PI)).ToArray(),
                Tone = cr.Uniform(-0.07f, 0.07f),
                HasNucleus = cr.Chance(type == LargeCell ? 0.75f : 0.85f),
                Seed = cr.NextUInt(),
            };
            float nucleus = type == LargeCell ? cr.Uniform(0.34f, 0.46f) : cr.Uniform(0.5f, 0.62f);
            float off = type == LargeCell ? 0.22f : 0.12f;
            cell.NucleusRadius = nucleus * radius;
            cell.NucleusX = x + cr.Uniform(-off, off) * radius;
            cell.NucleusY = y + cr.Uniform(-off, off) * radius;
            cell.NucleolusX = cell.NucleusX + cr.Uniform(-0.35f, 0.35f) * cell.NucleusRadius;
            cell.NucleolusY = cell.NucleusY + cr.Uniform(-0.35f, 0.35f) * cell.NucleusRadius;
            cells.Add(cell);
            covered += Math.PI * radius * radius;
        }
    }

    /// <summary>Distance (pixels) from a cell pixel to its membrane: its own outline or the split with the next cell.</summary>
    private static float CellMembraneDistance(Cell c, float d1, float d2, float radius2)
    {
        float own = (1 - d1) * c.Radius;
        if (d2 >= 1.5f) return own;
        float split = (d2 - d1) / (1 / c.Radius + 1 / radius2);
        return MathF.Min(own, split);
    }

    /// <summary>Darkening by a membrane at <paramref name="distance"/> pixels: a dark line about 3 pixels wide at scale 1.</summary>
    private static float MembraneShade(float distance, float scale)
    {
        float w = 1.7f * MathF.Max(0.5f, scale), t = distance / w;
        return t > 4 ? 0 : 0.3f * MathF.Exp(-t * t);
    }

    /// <summary>Extracellular matrix: light, with faint fibrils along a slowly turning direction and fine grain.</summary>
    private static float MatrixTone(int x, int y, float scale, uint seed)
    {
        float angle = 3 * Noise.Value(x, y, 1 / (600 * scale), seed + 5);
        float ca = MathF.Cos(angle), sa = MathF.Sin(angle);
        float u = (ca * x + sa * y) / scale, v = (-sa * x + ca * y) / scale;
        float fibril = Noise.Value(u * 0.15f, v, 1 / 3.5f, seed + 6) - 0.5f;
        float grain = Noise.Value(x, y, 1 / (2.5f * scale), seed + 7) - 0.5f;
        float patches = Noise.Value(x, y, 1 / (120 * scale), seed + 8) - 0.5f;
        float debris = Noise.Dots(x, y, 40 * scale, 3.5f * scale, 0.25f, seed + 9);
        return 0.74f + 0.06f * fibril + 0.05f * grain + 0.08f * patches - 0.25f * debris;
    }

    /// <summary>Cytoplasm and nucleus of a cell at (x, y).</summary>
    private static float CellTone(Cell c, int x, int y, float scale)
    {
        bool large = c.Type == LargeCell;
        float grain = Noise.Value(x, y, 1 / (2.2f * scale), c.Seed) - 0.5f;
        float granules = Noise.Value(x, y, 1 / (5f * scale), c.Seed + 1) - 0.5f;
        float tone = large ? 0.6f + c.Tone + 0.06f * grain + 0.05f * granules : 0.43f + c.Tone + 0.08f * grain + 0.09f * granules;
        float nx = x - c.NucleusX, ny = y - c.NucleusY;
        float rho = MathF.Sqrt(nx * nx + ny * ny) / c.NucleusRadius;
        float wobble = 1 + 0.08f * (Noise.Value(x, y, 1 / (25f * scale), c.Seed + 2) - 0.5f);
        rho /= wobble;
        if (!c.HasNucleus) return tone;
        if (rho < 1)
        {
            // nucleus: euchromatin a little darker than cytoplasm; heterochromatin clumps, densest under the envelope
            float chromatin = Noise.Value(x, y, 1 / (7f * scale), c.Seed + 3);
            float rim = large ? MathF.Max(0, (rho - 0.65f) / 0.35f) : 0.5f + 0.5f * rho;
            float clumps = MathF.Max(0, chromatin - (large ? 0.55f : 0.42f)) * (large ? 0.9f : 1.1f) * (0.3f + rim);
            tone = (large ? 0.55f : 0.38f) + c.Tone + 0.04f * grain - clumps;
            float ox = x - c.NucleolusX, oy = y - c.NucleolusY;
            float nucleolus = (ox * ox + oy * oy) / (0.22f * 0.22f * c.NucleusRadius * c.NucleusRadius);
            if (large && nucleolus < 1) tone -= 0.22f * (1 - nucleolus * nucleolus);
        }
        // nuclear envelope: a dark line on the nucleus's edge
        float edge = MathF.Abs(rho - 1) * c.NucleusRadius / (1.3f * MathF.Max(0.5f, scale));
        if (edge < 4) tone -= 0.16f * MathF.Exp(-edge * edge);
        return tone;
    }

    /// <summary>Mitochondria (dark ellipses with light cristae across them) and vesicles (light, dark rim) in the cytoplasm.</summary>
    private static void DrawOrganelles(Cell c, int[] owner, int index, float[] image, int w, int h, float scale)
    {
        var r = new SeededRandom(c.Seed);
        bool large = c.Type == LargeCell;
        float area = MathF.PI * c.Radius * c.Radius;
        int mitochondria = (int)(area / ((large ? 2600f : 5000f) * scale * scale));
        int vesicles = large ? (int)(area / (2200f * scale * scale)) : (int)(area / (9000f * scale * scale));
        for (int k = 0; k < mitochondria + vesicles; k++)
        {
            bool mito = k < mitochondria;
            float angle = r.Uniform(0, 2 * MathF.PI), dist = MathF.Sqrt(r.Uniform()) * c.Radius * 0.85f;
            float cx = c.X + dist * MathF.Cos(angle), cy = c.Y + dist * MathF.Sin(angle);
            float nx = cx - c.NucleusX, ny = cy - c.NucleusY;
            float half = mito ? r.Uniform(9, 22) * scale : r.Uniform(2.5f, 6.5f) * scale;
            float width = mito ? r.Uniform(4.5f, 7.5f) * scale : half;
            if (c.HasNucleus && MathF.Sqrt(nx * nx + ny * ny) < c.NucleusRadius + half) continue;
            float turn = r.Uniform(0, MathF.PI), ca = MathF.Cos(turn), sa = MathF.Sin(turn);
            int reach = (int)MathF.Ceiling(half + 3 * scale);
            for (int y = Math.Max(0, (int)cy - reach); y <= Math.Min(h - 1, (int)cy + reach); y++)
                for (int x = Math.Max(0, (int)cx - reach); x <= Math.Min(w - 1, (int)cx + reach); x++)
                {
                    int p = y * w + x;
                    if (owner[p] != index) continue;
                    float dx = x - cx, dy = y - cy;
                    float u = (ca * dx + sa * dy) / half, v = (-sa * dx + ca * dy) / width;
                    float q = u * u + v * v;
                    if (mito)
                    {
                        if (q >= 1.25f) continue;
                        float membrane = MathF.Exp(-MathF.Pow((MathF.Sqrt(q) - 1) * width / (1.1f * MathF.Max(0.5f, scale)), 2));
                        float inside = q < 1 ? 1 : 0;
                        float cristae = 0.5f + 0.5f * MathF.Cos(2 * MathF.PI * u * half / (4.2f * scale));
                        image[p] -= inside * (0.16f - 0.1f * cristae) + 0.12f * membrane;
                    }
                    else
                    {
                        float rr = MathF.Sqrt(q);
                        if (rr >= 1.6f) continue;
                        float rimShade = MathF.Exp(-MathF.Pow((rr - 1) * half / (0.9f * MathF.Max(0.5f, scale)), 2));
                        image[p] += (rr < 1 ? 0.12f : 0) - 0.2f * rimShade;
                    }
                }
        }
    }
}
