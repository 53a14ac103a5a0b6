namespace InSitu.Imaging;

/// <summary>
/// Separates touching objects along their contact: a watershed of the distance transform whose basins merge unless
/// the neck between them is narrow. Pixels are flooded from the deepest inward (largest distance to the outside);
/// where two basins meet, the meeting pixel's distance is the half-width of the neck joining them, and each basin's
/// deepest distance the half-width of its body. Two bodies stay apart when the neck is narrower than
/// <see cref="NeckRatio"/> of the thinner body: two embryos touching at a point or along a short contact meet at a
/// neck far thinner than either, while bumps of one outline, the bends and the tapered poles of one embryo, meet at
/// necks nearly as wide as themselves and merge. The rule compares widths, so it holds at any scale.
/// </summary>
public static class TouchingSplit
{
    /// <summary>A neck narrower than this share of the thinner body separates two bodies.</summary>
    public const float NeckRatio = 0.75f;

    /// <summary>A label per pixel (0 outside the mask, 1.. per separated body) and the number of bodies.</summary>
    public static (int[] labels, int count) Split(bool[] mask, int w, int h, float neckRatio = NeckRatio)
    {
        var depth = DistanceTransform.ToNearest(mask, w, h, target: false);
        var order = Enumerable.Range(0, mask.Length).Where(i => mask[i]).ToArray();
        var keys = order.Select(i => -depth[i]).ToArray();
        Array.Sort(keys, order);
        var parent = new int[mask.Length];
        var peak = new float[mask.Length];
        var owner = new int[mask.Length]; // the basin root a pixel was flooded from, +1 (0: not flooded yet)
        Span<int> roots = stackalloc int[8];
        foreach (int p in order)
        {
            int x = p % w, y = p / w, found = 0, uphill = -1;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++)
                {
                    int nx = x + dx, ny = y + dy;
                    if ((dx == 0 && dy == 0) || nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
                    int q = ny * w + nx;
                    if (owner[q] == 0) continue;
                    if (uphill < 0 || depth[q] > depth[uphill]) uphill = q;
                    int r = Find(parent, owner[q] - 1);
                    bool seen = false;
                    for (int k = 0; k < found; k++) seen |= roots[k] == r;
                    if (!seen) roots[found++] = r;
                }
            if (found == 0)
            {
                parent[p] = p;
                peak[p] = depth[p];
                owner[p] = p + 1;
                continue;
            }
            // a pixel belongs where its deepest flooded neighbour does (the way uphill), so a basin does not creep
            // along another's rim
            int main = Find(parent, owner[uphill] - 1);
            owner[p] = main + 1;
            for (int k = 0; k < found; k++)
            {
                int r = roots[k];
                if (r == main) continue;
                if (depth[p] < neckRatio * Math.Min(peak[r], peak[main])) continue;
                // a wide neck: one body, whose deepest point is the deeper of the two
                var (keep, drop) = peak[r] > peak[main] ? (r, main) : (main, r);
                parent[drop] = keep;
                main = keep;
            }
        }
        var labels = new int[mask.Length];
        var number = new Dictionary<int, int>();
        foreach (int p in order)
        {
            int r = Find(parent, owner[p] - 1);
            if (!number.TryGetValue(r, out int label)) number[r] = label = number.Count + 1;
            labels[p] = label;
        }
        return (labels, number.Count);
    }

    private static int Find(int[] parent, int i)
    {
        while (parent[i] != i)
        {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        return i;
    }
}
