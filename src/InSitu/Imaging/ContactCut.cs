namespace InSitu.Imaging;

/// <summary>
/// Cuts touching bodies apart along their contact, found from the concave corners of their joint outline. Two convex
/// bodies pressed together leave a bay on each side of their contact, inside the convex hull of the pair but outside
/// both; the contact runs between the two bays' deepest points. <see cref="Refine"/> moves a watershed's dividing line
/// (which wanders into one body where they touch along a long contact) onto the segment between the deepest bay points
/// near its two ends. <see cref="SplitAtCorners"/> cuts a body that the watershed left whole (a contact as wide as the
/// thinner body, e.g. a neighbour's sliver at the frame's edge) where its outline has two deep bays: one convex embryo
/// has none, a bent one at most one, shallow.
/// </summary>
public static class ContactCut
{
    /// <summary>A refined line is kept only when each body keeps at least this share of its watershed area.</summary>
    private const float KeepShare = 0.5f;

    /// <summary>A bay is a contact's corner when it reaches this share of the body's half-thickness (its deepest
    /// distance to the outside) into the convex hull.</summary>
    public const float CornerDepth = 0.25f;

    /// <summary>A corner cut must leave each side at least this share of the body.</summary>
    private const float MinPart = 0.05f;

    /// <summary>Moves the dividing line of every pair of touching bodies onto the segment between their contact's corners.</summary>
    public static void Refine(int[] labels, int w, int h)
    {
        var pairs = new HashSet<(int, int)>();
        for (int i = 0; i < labels.Length; i++)
        {
            int a = labels[i];
            if (a == 0) continue;
            int x = i % w;
            if (x < w - 1 && labels[i + 1] != 0 && labels[i + 1] != a) pairs.Add((Math.Min(a, labels[i + 1]), Math.Max(a, labels[i + 1])));
            if (i + w < labels.Length && labels[i + w] != 0 && labels[i + w] != a)
                pairs.Add((Math.Min(a, labels[i + w]), Math.Max(a, labels[i + w])));
        }
        foreach (var (a, b) in pairs.OrderBy(p => p)) Cut(labels, a, b, w, h);
    }

    /// <summary>Cuts every body with two deep bays along the segment between their deepest points (repeatedly, so
    /// that a chain of bodies comes apart); returns the new number of bodies.</summary>
    public static int SplitAtCorners(int[] labels, int count, int w, int h)
    {
        int n = labels.Length;
        for (int b = 1; b <= count && count < 64; b++)
        {
            var body = new bool[n];
            int area = 0;
            for (int i = 0; i < n; i++)
                if (labels[i] == b) { body[i] = true; area++; }
            if (area == 0) continue;
            float thickness = DistanceTransform.ToNearest(body, w, h, target: false).Max();
            var corners = Corners(body, w, h).Where(c => c.depth >= CornerDepth * thickness).OrderByDescending(c => c.depth).ToList();
            bool cut = false;
            for (int i = 0; i < corners.Count && !cut; i++)
                for (int j = i + 1; j < corners.Count && !cut; j++)
                {
                    var segment = Segment(corners[i].pixel, corners[j].pixel, w).ToList();
                    if (segment.Count(k => body[k]) < 0.9 * segment.Count) continue; // the cut runs through the body
                    var (parts, sizes, first, second) = CutAlong(body, segment, w, h);
                    if (second == 0 || sizes[second - 1] < MinPart * area) continue;
                    for (int k = 0; k < n; k++) if (parts[k] == second) labels[k] = count + 1;
                    count++;
                    cut = true;
                }
            if (cut) b--; // look at what is left of this body again
        }
        return count;
    }

    /// <summary>For each bay of the mask (inside its convex hull, outside it): the mask pixel next to it that lies deepest
    /// inside the hull, and that depth.</summary>
    private static List<(int pixel, float depth)> Corners(bool[] mask, int w, int h)
    {
        var (bays, depth) = Bays(mask, w, h);
        var best = new Dictionary<int, (int pixel, float depth)>();
        for (int i = 0; i < mask.Length; i++)
        {
            if (!mask[i]) continue;
            int bay = NeighbourBay(bays, i, w, h);
            if (bay == 0 || (best.TryGetValue(bay, out var known) && known.depth >= depth[i])) continue;
            best[bay] = (i, depth[i]);
        }
        return best.Values.ToList();
    }

    /// <summary>The bays of a mask, labelled, and every pixel's distance to the outside of the mask's convex hull.</summary>
    private static (int[] bays, float[] depth) Bays(bool[] mask, int w, int h)
    {
        var hull = ConvexHull.Of(mask, w, h);
        var bay = new bool[mask.Length];
        for (int i = 0; i < mask.Length; i++) bay[i] = hull[i] && !mask[i];
        return (BinaryMask.Components(bay, w, h).labels, DistanceTransform.ToNearest(hull, w, h, target: false));
    }

    /// <summary>The mask less the segment, in 4-connected parts, and the labels of its two largest parts (0: none).</summary>
    private static (int[] parts, List<int> sizes, int first, int second) CutAlong(bool[] mask, IEnumerable<int> segment, int w, int h)
    {
        var rest = (bool[])mask.Clone();
        foreach (int i in segment) rest[i] = false;
        var (parts, sizes) = BinaryMask.Components(rest, w, h);
        var bySize = Enumerable.Range(1, sizes.Count).OrderByDescending(k => sizes[k - 1]).ToList();
        return (parts, sizes, bySize.Count > 0 ? bySize[0] : 0, bySize.Count > 1 ? bySize[1] : 0);
    }

    private static void Cut(int[] labels, int a, int b, int w, int h)
    {
        int n = labels.Length;
        var pair = new bool[n];
        int areaA = 0, areaB = 0;
        for (int i = 0; i < n; i++)
        {
            pair[i] = labels[i] == a || labels[i] == b;
            if (labels[i] == a) areaA++;
            if (labels[i] == b) areaB++;
        }
        var contact = new List<int>();
        for (int i = 0; i < n; i++)
        {
            if (labels[i] != a) continue;
            int x = i % w, y = i / w;
            if ((x > 0 && labels[i - 1] == b) || (x < w - 1 && labels[i + 1] == b) || (y > 0 && labels[i - w] == b) ||
                (y < h - 1 && labels[i + w] == b))
                contact.Add(i);
        }
        if (contact.Count < 2) return;
        var (end1, end2) = FarthestPair(contact, w);
        double reach = Distance(end1, end2, w);

        var (bays, depth) = Bays(pair, w, h);
        var near1 = DeepestPerBay(end1, pair, bays, depth, reach / 2, w, h);
        var near2 = DeepestPerBay(end2, pair, bays, depth, reach / 2, w, h);
        // one bay at each end: the pair whose shallower corner is deepest
        int p = -1, q = -1;
        float best = 0;
        foreach (var (bay1, (pixel1, depth1)) in near1)
            foreach (var (bay2, (pixel2, depth2)) in near2)
                if (bay1 != bay2 && Math.Min(depth1, depth2) > best)
                {
                    best = Math.Min(depth1, depth2);
                    (p, q) = (pixel1, pixel2);
                }
        if (p < 0) return;

        var (parts, sizes, first, second) = CutAlong(pair, Segment(p, q, w), w, h);
        if (second == 0) return;
        int firstInA = 0, secondInA = 0;
        for (int i = 0; i < n; i++)
        {
            if (labels[i] != a) continue;
            if (parts[i] == first) firstInA++;
            if (parts[i] == second) secondInA++;
        }
        // the side holding the larger share of a's pixels is a's
        bool firstIsA = (double)firstInA / sizes[first - 1] >= (double)secondInA / sizes[second - 1];
        int partA = firstIsA ? first : second, partB = firstIsA ? second : first;
        if (sizes[partA - 1] < KeepShare * areaA || sizes[partB - 1] < KeepShare * areaB) return;
        for (int i = 0; i < n; i++)
        {
            if (parts[i] == partA) labels[i] = a;
            else if (parts[i] == partB) labels[i] = b;
        }
    }

    /// <summary>For each bay touching the pair within <paramref name="reach"/> of <paramref name="end"/>: the pair's pixel next
    /// to it that lies deepest inside the hull, and that depth.</summary>
    private static Dictionary<int, (int pixel, float depth)> DeepestPerBay(int end, bool[] pair, int[] bays, float[] depth, double reach,
        int w, int h)
    {
        var best = new Dictionary<int, (int pixel, float depth)>();
        int ex = end % w, ey = end / w, r = (int)Math.Ceiling(reach);
        for (int y = Math.Max(0, ey - r); y <= Math.Min(h - 1, ey + r); y++)
            for (int x = Math.Max(0, ex - r); x <= Math.Min(w - 1, ex + r); x++)
            {
                int i = y * w + x;
                if (!pair[i] || Distance(i, end, w) > reach) continue;
                int bay = NeighbourBay(bays, i, w, h);
                if (bay == 0 || (best.TryGetValue(bay, out var known) && known.depth >= depth[i])) continue;
                best[bay] = (i, depth[i]);
            }
        return best;
    }

    private static int NeighbourBay(int[] bays, int i, int w, int h)
    {
        int x = i % w, y = i / w;
        if (x > 0 && bays[i - 1] != 0) return bays[i - 1];
        if (x < w - 1 && bays[i + 1] != 0) return bays[i + 1];
        if (y > 0 && bays[i - w] != 0) return bays[i - w];
        if (y < h - 1 && bays[i + w] != 0) return bays[i + w];
        return 0;
    }

    private static (int, int) FarthestPair(List<int> pixels, int w)
    {
        // the farthest pair lies on the extremes of some direction: check the pixels' extremes in 16 directions
        var extremes = new HashSet<int>();
        for (int d = 0; d < 16; d++)
        {
            double angle = d * Math.PI / 16, c = Math.Cos(angle), s = Math.Sin(angle);
            extremes.Add(pixels.MinBy(i => i % w * c + i / w * s));
            extremes.Add(pixels.MaxBy(i => i % w * c + i / w * s));
        }
        var list = extremes.ToList();
        (int, int) best = (list[0], list[0]);
        double far = -1;
        foreach (int i in list)
            foreach (int j in list)
                if (Distance(i, j, w) > far)
                {
                    far = Distance(i, j, w);
                    best = (i, j);
                }
        return best;
    }

    private static double Distance(int i, int j, int w) => Math.Sqrt(Math.Pow(i % w - j % w, 2) + Math.Pow(i / w - j / w, 2));

    /// <summary>The pixels of the straight segment from p to q, 4-connected, so that it separates what lies on its two sides.</summary>
    private static IEnumerable<int> Segment(int p, int q, int w)
    {
        int x0 = p % w, y0 = p / w, x1 = q % w, y1 = q / w, x = x0, y = y0;
        int sx = Math.Sign(x1 - x0), sy = Math.Sign(y1 - y0);
        // one axis step at a time, the one that stays closest to the exact line
        double Off(int xx, int yy) => Math.Abs((xx - x0) * (double)(y1 - y0) - (yy - y0) * (double)(x1 - x0));
        yield return y * w + x;
        while (x != x1 || y != y1)
        {
            if (y == y1 || (x != x1 && Off(x + sx, y) <= Off(x, y + sy))) x += sx;
            else y += sy;
            yield return y * w + x;
        }
    }
}
