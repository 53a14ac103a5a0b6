using System.Diagnostics;
using InSitu.Common;
using InSitu.Data;
using InSitu.Torch;

namespace InSitu.Synthesis;

/// <summary>What to simulate. Images is the total; ranges follow the paper's proportions (METHODS.md section 0).</summary>
public sealed record SynthOptions(int Images, int Seed = 1, bool Raw = false, int Width = 320, int Height = 128,
    int RawWidth = 1520, int RawHeight = 1080, float DevelopmentalJitter = 0.12f)
{
    /// <summary>Images with range labels per range in the paper (1-3, 4-6, 7-8, 9-10, 11-12, 13-17).</summary>
    public static readonly int[] PaperRangeCounts = { 4203, 7344, 3665, 3768, 9248, 8680 };

    public static readonly IReadOnlyDictionary<string, int> Presets = new Dictionary<string, int>
    {
        ["bdgp-tiny"] = 400,
        ["bdgp-small"] = 5000,
        ["bdgp-paper"] = PaperRangeCounts.Sum(),
    };

    public static SynthOptions FromPreset(string preset, int seed = 1, bool raw = false) =>
        Presets.TryGetValue(preset, out var n)
            ? new SynthOptions(n, seed, raw)
            : throw new ArgumentException($"unknown preset '{preset}'; use one of {string.Join(", ", Presets.Keys)}");
}

/// <summary>One image to simulate: its labels (from one real BDGP bag), its time t and its own seed.</summary>
public sealed record SynthImage(int Index, BdgpBag Bag, float Time, ulong Seed)
{
    public int Stage => (int)MathF.Floor(Time);
}

/// <summary>What a raw photograph holds besides the pixels: where the main embryo lies, and whether a neighbour touches it.</summary>
public sealed record RawPhotoTruth(EmbryoPlacement Embryo, bool TouchingNeighbour);

/// <summary>
/// Simulates a BDGP-like dataset: whole bags are drawn from the real tables (so genes, bag sizes and terms per
/// range are real), each image gets a developmental time t uniform within its bag's range, and the embryo and its
/// stain are rendered from t and the bag's terms. Everything is a function of the seed.
/// </summary>
public static class DatasetSimulator
{
    private static readonly (int lo, int hi)[] RangeStages = { (1, 3), (4, 6), (7, 8), (9, 10), (11, 12), (13, 17) };

    public sealed record Result(Manifest Manifest, string ManifestPath, int Images, double Seconds);

    /// <summary>Chooses bags per range until the paper's share of images is reached, then times and seeds per image.</summary>
    public static List<SynthImage> Plan(BdgpLabelTables tables, SynthOptions options)
    {
        if (options.Images < 1) throw new ArgumentException("the number of images to simulate must be at least 1");
        var random = new SeededRandom((ulong)options.Seed * 0x51ED27UL + 17);
        int total = SynthOptions.PaperRangeCounts.Sum();
        var plan = new List<SynthImage>();
        // images per range in the paper's proportions, rounded so that they add up exactly (largest remainder)
        var exact = SynthOptions.PaperRangeCounts.Select(c => (double)options.Images * c / total).ToArray();
        var targets = exact.Select(e => (int)Math.Floor(e)).ToArray();
        foreach (int k in Enumerable.Range(0, 6).OrderByDescending(k => exact[k] - targets[k]).Take(options.Images - targets.Sum()))
            targets[k]++;
        for (int range = 1; range <= 6; range++)
        {
            int target = targets[range - 1];
            var bags = tables.Bags.Where(b => b.Range == range).ToList();
            Shuffle(bags, random);
            int have = 0;
            for (int i = 0; have < target; i = (i + 1) % bags.Count)
            {
                var bag = bags[i];
                int take = Math.Min(bag.Images, target - have);
                for (int k = 0; k < take; k++)
                {
                    var (lo, hi) = RangeStages[range - 1];
                    float t = MathF.Min(random.Uniform(lo, hi + 1), hi + 0.999f);
                    plan.Add(new SynthImage(0, bag, t, random.Fork()));
                }
                have += take;
            }
        }
        Shuffle(plan, random);
        return plan.Select((p, i) => p with { Index = i }).ToList();
    }

    /// <summary>The standard 128x320 lateral view of one planned image (HxWx3 RGB bytes).</summary>
    public static byte[] RenderStandard(SynthImage image, SynthOptions options) => RenderStandard(image, options, out _);

    /// <summary>The standard view and the mask of its embryo (true where it covers at least half a pixel).</summary>
    public static byte[] RenderStandard(SynthImage image, SynthOptions options, out bool[] embryoMask)
    {
        var r = new SeededRandom(image.Seed);
        var model = ModelFor(image, r, options);
        // the embryo fills the frame, as in the standardised BDGP images: its body spans x -1..1 and y -1 (ventral) to
        // 0.93 (the flatter dorsal side)
        float length = options.Width * r.Uniform(0.975f, 1f), thickness = options.Height * r.Uniform(0.97f, 1f);
        float halfHeight = thickness / 1.93f;
        var at = new EmbryoPlacement(options.Width / 2f + r.Uniform(-1, 1), options.Height / 2f - 0.035f * halfHeight + r.Uniform(-1, 1),
            length / 2, r.Uniform(-0.8f, 0.8f), length / 2 / halfHeight);
        var photo = PhotoConditions.DrawStandard(r);
        return EmbryoRenderer.Render(options.Width, options.Height, new[] { (model, at) }, photo, r, out embryoMask);
    }

    /// <summary>
    /// A raw microscope frame as BDGP photographs them: the main embryo large (75-90% of the frame's width) and roughly
    /// horizontal, or in a quarter of the frames smaller and at any angle within 80 degrees of horizontal (so anterior
    /// stays left after straightening), always wholly inside the frame; beside it, often, neighbours of the same slide
    /// (the same gene, other stages): one touching it in a third of the frames, one cut by the frame in most.
    /// </summary>
    public static (byte[] pixels, RawPhotoTruth truth) RenderRaw(SynthImage image, SynthOptions options) =>
        RenderRaw(image, options, out _);

    /// <summary>A raw frame and the mask of its main embryo (not of the neighbours).</summary>
    public static (byte[] pixels, RawPhotoTruth truth) RenderRaw(SynthImage image, SynthOptions options, out bool[] mainEmbryoMask)
    {
        var r = new SeededRandom(image.Seed ^ 0xA5A5A5A5UL);
        var model = ModelFor(image, r, options);
        int w = options.RawWidth, h = options.RawHeight;
        bool tilted = r.Chance(0.25f);
        float half = (tilted ? r.Uniform(0.24f, 0.34f) : r.Uniform(0.36f, 0.44f)) * w;
        float angle = tilted ? r.Uniform(-80f, 80f) : Math.Clamp(10 * r.Normal(), -30f, 30f);
        float margin = 0.01f * w;
        // the steepest angle toward the drawn one at which the embryo still fits the frame
        var probe = new EmbryoPlacement(0, 0, half, angle);
        while (2 * probe.Extent.y > h - 2 * margin || 2 * probe.Extent.x > w - 2 * margin)
            probe = MathF.Abs(probe.AngleDegrees) > 1 ? probe with { AngleDegrees = probe.AngleDegrees * 0.9f }
                : probe with { HalfLength = probe.HalfLength * 0.97f };
        var (ex, ey) = probe.Extent;
        // the photographer centres the main embryo, give or take a tenth of the frame
        var at = probe with
        {
            CenterX = Math.Clamp(w / 2f + r.Uniform(-0.1f, 0.1f) * w, ex + margin, Math.Max(ex + margin, w - ex - margin)),
            CenterY = Math.Clamp(h / 2f + r.Uniform(-0.1f, 0.1f) * h, ey + margin, Math.Max(ey + margin, h - ey - margin))
        };
        var embryos = new List<(EmbryoModel, EmbryoPlacement)> { (model, at) };
        EmbryoModel Neighbour() => new(r.Uniform(1, 17.99f), model.Sites, r, options.DevelopmentalJitter);
        float side = r.Chance(0.5f) ? 1 : -1;
        bool touching = r.Chance(0.33f);
        if (touching)
        {
            // beside the main embryo, the outlines just touching
            float dir = at.AngleDegrees + 90 * side + r.Uniform(-45, 45);
            var next = new EmbryoPlacement(0, 0, at.HalfLength * r.Uniform(0.85f, 1.05f), at.AngleDegrees + r.Uniform(-25, 25));
            embryos.Add((Neighbour(), Beside(at, next, dir, gap: -0.04f * at.HalfHeight, shrink: 0.96f)));
        }
        if (r.Chance(0.75f))
        {
            // lying on the slide nearby, on the other side, cut by the frame (when it reaches that far)
            float dir = at.AngleDegrees - 90 * side + r.Uniform(-30, 30);
            var next = new EmbryoPlacement(0, 0, at.HalfLength * r.Uniform(0.85f, 1.05f), at.AngleDegrees + r.Uniform(-20, 20));
            embryos.Add((Neighbour(), Beside(at, next, dir, gap: r.Uniform(0.1f, 0.6f) * at.HalfHeight, shrink: 1f)));
        }
        var photo = PhotoConditions.DrawRaw(r);
        return (EmbryoRenderer.Render(w, h, embryos, photo, r, out mainEmbryoMask), new RawPhotoTruth(at, touching));
    }

    /// <summary><paramref name="next"/> moved from <paramref name="at"/>'s centre in direction <paramref name="dir"/> until the two
    /// outlines are <paramref name="gap"/> pixels apart (negative: overlapping that much), checked all around.</summary>
    private static EmbryoPlacement Beside(EmbryoPlacement at, EmbryoPlacement next, float dir, float gap, float shrink)
    {
        float dist = at.RadiusToward(dir) + next.RadiusToward(dir + 180) + gap;
        float rad = dir * MathF.PI / 180;
        EmbryoPlacement Placed() =>
            next with { CenterX = at.CenterX + dist * MathF.Cos(rad), CenterY = at.CenterY + dist * MathF.Sin(rad) };
        // rotated ellipses can overlap away from the centre line: push apart until they only just touch
        while (Overlaps(at, Placed(), shrink)) dist += 0.02f * at.HalfHeight;
        return Placed();
    }

    /// <summary>Whether any outline point of b lies inside a shrunk by <paramref name="shrink"/>.</summary>
    private static bool Overlaps(EmbryoPlacement a, EmbryoPlacement b, float shrink)
    {
        float ca = MathF.Cos(a.AngleDegrees * MathF.PI / 180), sa = MathF.Sin(a.AngleDegrees * MathF.PI / 180);
        float cb = MathF.Cos(b.AngleDegrees * MathF.PI / 180), sb = MathF.Sin(b.AngleDegrees * MathF.PI / 180);
        for (int i = 0; i < 180; i++)
        {
            float t = i * MathF.PI / 90, u = b.HalfLength * MathF.Cos(t), v = b.HalfHeight * MathF.Sin(t);
            float x = b.CenterX + u * cb - v * sb - a.CenterX, y = b.CenterY + u * sb + v * cb - a.CenterY;
            float au = (x * ca + y * sa) / (a.HalfLength * shrink), av = (-x * sa + y * ca) / (a.HalfHeight * shrink);
            if (au * au + av * av < 1) return true;
        }
        return false;
    }

    private static EmbryoModel ModelFor(SynthImage image, SeededRandom r, SynthOptions options)
    {
        // the gene's expression level is a property of the bag; each image adds its own variation
        var bagRandom = new SeededRandom((ulong)StableHash(image.Bag.Gene + "_" + image.Bag.Range));
        float level = MathF.Exp(0.3f * bagRandom.Normal());
        var sites = image.Bag.Terms.Select(TermAnatomy.Site).Select(s => s with { Strength = s.Strength * level }).ToList();
        return new EmbryoModel(image.Time, sites, r, options.DevelopmentalJitter);
    }

    /// <summary>
    /// Writes images/NNNNNN.png (raw: .jpg) and manifest.csv into <paramref name="outDir"/>, in parallel. An old
    /// manifest.csv (and failures.csv) there is deleted before the first image is overwritten and the new manifest is
    /// written only at the end, so an interrupted rerun never leaves the old labels beside new images.
    /// </summary>
    public static Result Generate(BdgpLabelTables tables, SynthOptions options, string outDir, Action<int>? progress = null)
    {
        var watch = Stopwatch.StartNew();
        var plan = Plan(tables, options);
        Directory.CreateDirectory(outDir);
        File.Delete(Path.Combine(outDir, "manifest.csv"));
        File.Delete(Path.Combine(outDir, "failures.csv"));
        var ext = WriteImages(plan, options, Path.Combine(outDir, "images"), skipExisting: false, progress);
        var manifest = new Manifest(plan.Select(p => Row(p, ext)), outDir);
        var manifestPath = Path.Combine(outDir, "manifest.csv");
        manifest.Save(manifestPath);
        return new Result(manifest, manifestPath, plan.Count, watch.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Renders planned images in parallel into images/NNNNNN.png (raw: .jpg), keeping files already there when
    /// asked (a resumed run); returns the extension used.
    /// </summary>
    public static string WriteImages(IReadOnlyList<SynthImage> plan, SynthOptions options, string folder, bool skipExisting,
        Action<int>? progress = null)
    {
        Directory.CreateDirectory(folder);
        string ext = options.Raw ? ".jpg" : ".png";
        int w = options.Raw ? options.RawWidth : options.Width, h = options.Raw ? options.RawHeight : options.Height;
        int done = 0;
        Parallel.ForEach(plan, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, img =>
        {
            var path = Path.Combine(folder, $"{img.Index:D6}{ext}");
            if (!skipExisting || !File.Exists(path))
            {
                var pixels = options.Raw ? RenderRaw(img, options).pixels : RenderStandard(img, options);
                using var t = Tensor.FromArray(pixels, h, w, 3);
                ImageIO.Write(path, t);
            }
            progress?.Invoke(Interlocked.Increment(ref done));
        });
        return ext;
    }

    /// <summary>The manifest row of a planned image: all its labels, the precise stage unless <paramref name="withStage"/> is
    /// false.</summary>
    public static ManifestRow Row(SynthImage p, string ext, bool withStage = true) =>
        new($"images/{p.Index:D6}{ext}", Stage: withStage ? p.Stage : null, Range: p.Bag.Range, Gene: p.Bag.Gene,
            View: "lateral", Terms: p.Bag.Terms, Bag: $"{p.Bag.Gene}_{p.Bag.Range}");

    private static void Shuffle<T>(IList<T> list, SeededRandom r)
    {
        for (int i = list.Count - 1; i > 0; i--)
        {
            int j = r.Int(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }

    /// <summary>FNV-1a: string.GetHashCode is randomised per process, and a bag must look the same in every run.</summary>
    internal static uint StableHash(string s)
    {
        uint h = 2166136261;
        foreach (char c in s) h = (h ^ c) * 16777619;
        return h;
    }
}
