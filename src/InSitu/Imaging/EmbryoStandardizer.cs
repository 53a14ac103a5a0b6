namespace InSitu.Imaging;

/// <summary>The outcome for one photo: the standardised pixels, or why there are none; and what was found, for
/// inspection (null when the photo was refused before anything was found).</summary>
public sealed record StandardizeResult(bool Ok, string? Failure, byte[]? Pixels, int Width, int Height, int Channels,
    float AngleDegrees, float Elongation, float AreaShare, EmbryoMasks? Masks = null)
{
    public static StandardizeResult Fail(string why, EmbryoMasks? masks = null, float angle = 0, float elongation = 0, float area = 0) =>
        new(false, why, null, 0, 0, 0, angle, elongation, area, masks);
}

/// <summary>
/// What the standardiser found in a photo, on its work grid (blocks of <see cref="Block"/> x <see cref="Block"/> photo
/// pixels): everything that stands out from the background, the bodies it was split into (0 = background), and the one
/// chosen as the main embryo (0: none).
/// </summary>
public sealed class EmbryoMasks
{
    public int Width { get; }
    public int Height { get; }
    public int Block { get; }
    public bool[] Foreground { get; }
    public int[] Bodies { get; }
    public int Main { get; }
    private readonly float[]? _signed;

    /// <summary>
    /// The signed distance (in blocks, between block centres) at which the outline runs. A block is flagged when the
    /// embryo covers any part of it (its rim's gradients, or enough of its colour), so the flagged region reaches on
    /// average half a block beyond the embryo: the outline runs through the centres of the outermost flagged blocks,
    /// where the signed distance is 1, not along their outer edges (where it is 0).
    /// </summary>
    private const double OutlineLevel = 1;

    public EmbryoMasks(int width, int height, int block, bool[] foreground, int[] bodies, int main)
    {
        Width = width;
        Height = height;
        Block = block;
        Foreground = foreground;
        Bodies = bodies;
        Main = main;
        if (main > 0) _signed = DistanceTransform.Signed(bodies.Select(b => b == main).ToArray(), width, height);
    }

    /// <summary>Whether photo position (x, y) lies inside the main embryo: its signed distance to the outline,
    /// interpolated between work-grid cells, is positive, so the outline is smooth at the photo's resolution.</summary>
    public bool Inside(double x, double y)
    {
        if (_signed is null) return false;
        double gx = (x + 0.5) / Block - 0.5, gy = (y + 0.5) / Block - 0.5;
        gx = Math.Clamp(gx, 0, Width - 1.001);
        gy = Math.Clamp(gy, 0, Height - 1.001);
        int x0 = (int)gx, y0 = (int)gy;
        double fx = gx - x0, fy = gy - y0;
        double V(int xx, int yy) => _signed[Math.Min(yy, Height - 1) * Width + Math.Min(xx, Width - 1)];
        double top = V(x0, y0) + fx * (V(x0 + 1, y0) - V(x0, y0)), bottom = V(x0, y0 + 1) + fx * (V(x0 + 1, y0 + 1) - V(x0, y0 + 1));
        return top + fy * (bottom - top) > OutlineLevel;
    }

    /// <summary>The main embryo's mask at the photo's own size.</summary>
    public bool[] MainAtPhotoSize(int width, int height)
    {
        var mask = new bool[width * height];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                mask[y * width + x] = Inside(x, y);
        return mask;
    }
}

/// <summary>
/// Turns a raw lateral-view photo into a BDGP-style standard image. The embryo is found by how it differs from the
/// photo's own background, in colour or in texture (<see cref="ForegroundMap"/>), not by being darker: unstained embryos
/// are nearly as light as the glass and show by their DIC relief and grain. Gaps are closed, holes filled and specks
/// removed; touching embryos are separated along their contact (<see cref="TouchingSplit"/>); the main embryo is the most
/// central of the substantial bodies that the frame does not cut (a neighbour cut by the frame does not matter). Its
/// major axis is turned horizontal, and it is cropped and scaled to fill the output, white around it
/// (<see cref="StandardView"/>). Anterior-posterior and dorsal-ventral direction are not decided. Photos it cannot
/// standardise reliably are refused with a reason, never written as garbage.
/// </summary>
public sealed class EmbryoStandardizer
{
    public int Width { get; init; } = 320;
    public int Height { get; init; } = 128;
    /// <summary>Below this long-to-short axis ratio the embryo's axis is not defined well enough to straighten it.</summary>
    public float MinElongation { get; init; } = 1.4f;
    /// <summary>The embryo must cover at least this share of the frame.</summary>
    public float MinAreaShare { get; init; } = 0.005f;

    /// <summary>The work grid's longest side, in blocks: fine enough for an outline within a fraction of a percent of the
    /// photo's size, coarse enough that a block holds several cells' worth of texture.</summary>
    private const int WorkSide = 512;

    /// <summary>Morphology radius, as a share of the work grid's longest side: gaps in the texture closed, specks and thin
    /// bridges removed.</summary>
    private const float CleanRadius = 1f / 256;

    /// <summary>A body counts as an embryo when at least this share of the largest body's area (smaller ones: debris, or
    /// slivers of neighbours left at the frame's edge).</summary>
    private const float SubstantialShare = 0.25f;

    /// <summary>A body whose outline lies on the frame's edge for more than this share is cut by the frame.</summary>
    private const float CutShare = 0.03f;

    /// <summary>Standardises HxWxC bytes (C = 1 or 3).</summary>
    public StandardizeResult Run(byte[] pixels, int width, int height, int channels)
    {
        if (pixels.Length != width * height * channels) throw new ArgumentException("pixel buffer does not match its size");
        if (Math.Min(width, height) < 16) return StandardizeResult.Fail($"the photo is too small ({width}x{height}) to find an embryo in");
        var features = PhotoFeatures.Of(pixels, width, height, channels, WorkSide);
        int w = features.Width, h = features.Height, n = w * h;
        var found = ForegroundMap.Find(features);
        float r = Math.Max(1f, CleanRadius * Math.Max(w, h));
        var mask = BinaryMask.Close(found.Mask, w, h, r);
        mask = BinaryMask.FillHoles(mask, w, h);
        mask = BinaryMask.Open(mask, w, h, 2 * r);
        var (bodies, count) = TouchingSplit.Split(mask, w, h);
        ContactCut.Refine(bodies, w, h);
        count = ContactCut.SplitAtCorners(bodies, count, w, h);
        if (count == 0)
            return StandardizeResult.Fail("no embryo found: nothing stands out from the background by colour or texture",
                new EmbryoMasks(w, h, features.Block, mask, bodies, 0));

        var area = new int[count + 1];
        var edge = new int[count + 1];
        var outline = new int[count + 1];
        var sx = new double[count + 1];
        var sy = new double[count + 1];
        var own = new bool[n];
        for (int i = 0; i < n; i++)
        {
            int b = bodies[i];
            if (b == 0) continue;
            area[b]++;
            sx[b] += i % w;
            sy[b] += i / w;
            int x = i % w, y = i / w;
            bool onFrame = x == 0 || y == 0 || x == w - 1 || y == h - 1;
            if (onFrame) edge[b]++;
            if (onFrame || bodies[i - 1] != b || bodies[i + 1] != b || bodies[i - w] != b || bodies[i + w] != b) outline[b]++;
        }
        int largest = Enumerable.Range(1, count).MaxBy(b => area[b]);
        float largestShare = (float)area[largest] / n;
        if (largestShare < MinAreaShare)
            return StandardizeResult.Fail($"no embryo found: the largest region that stands out covers only {largestShare:P1} of the photo",
                new EmbryoMasks(w, h, features.Block, mask, bodies, 0), area: largestShare);
        var substantial = Enumerable.Range(1, count).Where(b => area[b] >= SubstantialShare * area[largest] && area[b] >= MinAreaShare * n)
            .ToList();
        double Offset(int b) => Math.Pow(sx[b] / area[b] / w - 0.5, 2) + Math.Pow(sy[b] / area[b] / h - 0.5, 2);
        var whole = substantial.Where(b => edge[b] <= CutShare * outline[b]).ToList();
        if (whole.Count == 0)
        {
            int central = substantial.MinBy(Offset);
            return StandardizeResult.Fail("the main embryo is cut by the edge of the photo (every embryo found there runs off the frame)",
                new EmbryoMasks(w, h, features.Block, mask, bodies, central), area: (float)area[central] / n);
        }
        int main = whole.MinBy(Offset);
        for (int i = 0; i < n; i++) own[i] = bodies[i] == main;
        KeepLargestPiece(own, bodies, w, h);
        var masks = new EmbryoMasks(w, h, features.Block, mask, bodies, main);
        float share = (float)own.Count(o => o) / n;
        var axis = EmbryoAxis.Of(own, w, h, features.Block)!;
        if (axis.Elongation < MinElongation)
            return StandardizeResult.Fail(
                $"the embryo is not elongated enough (axis ratio {axis.Elongation:F2} < {MinElongation}) to find " +
                "its axis", masks, axis.AngleDegrees, axis.Elongation, share);
        var output = StandardView.Cut(pixels, width, height, channels, axis, masks.Inside, Width, Height, out _);
        return new StandardizeResult(true, null, output, Width, Height, channels, axis.AngleDegrees, axis.Elongation, share, masks);
    }

    /// <summary>The splitting steps can leave a few stray cells of a body apart from it (a corner of a neighbour's contact);
    /// they would stretch the embryo's extent, and with it the crop, far beyond the embryo: only the largest piece is kept,
    /// the rest becomes background.</summary>
    private static void KeepLargestPiece(bool[] own, int[] bodies, int w, int h)
    {
        var (pieces, sizes) = BinaryMask.Components(own, w, h);
        if (sizes.Count < 2) return;
        int largest = sizes.IndexOf(sizes.Max()) + 1;
        for (int i = 0; i < own.Length; i++)
            if (own[i] && pieces[i] != largest)
            {
                own[i] = false;
                bodies[i] = 0;
            }
    }
}
