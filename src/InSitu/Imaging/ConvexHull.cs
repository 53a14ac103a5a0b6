namespace InSitu.Imaging;

/// <summary>The convex hull of a mask's pixels, drawn as a mask.</summary>
public static class ConvexHull
{
    /// <summary>Every pixel whose centre lies inside the convex hull of the mask's pixel squares.</summary>
    public static bool[] Of(bool[] mask, int w, int h)
    {
        // the hull of the squares is the hull of their outermost corners on each row
        var points = new List<(double x, double y)>();
        for (int y = 0; y < h; y++)
        {
            int first = -1, last = -1;
            for (int x = 0; x < w; x++)
                if (mask[y * w + x])
                {
                    if (first < 0) first = x;
                    last = x;
                }
            if (first < 0) continue;
            points.Add((first - 0.5, y - 0.5)); points.Add((first - 0.5, y + 0.5));
            points.Add((last + 0.5, y - 0.5)); points.Add((last + 0.5, y + 0.5));
        }
        var hull = new bool[mask.Length];
        if (points.Count == 0) return hull;
        var polygon = Hull(points);
        // each row crosses a convex polygon in one interval
        for (int y = 0; y < h; y++)
        {
            double lo = double.MaxValue, hi = double.MinValue;
            for (int e = 0; e < polygon.Count; e++)
            {
                var (ax, ay) = polygon[e];
                var (bx, by) = polygon[(e + 1) % polygon.Count];
                if (y < Math.Min(ay, by) || y > Math.Max(ay, by)) continue;
                if (ay == by)
                {
                    lo = Math.Min(lo, Math.Min(ax, bx));
                    hi = Math.Max(hi, Math.Max(ax, bx));
                    continue;
                }
                double x = ax + (y - ay) * (bx - ax) / (by - ay);
                lo = Math.Min(lo, x);
                hi = Math.Max(hi, x);
            }
            if (lo > hi) continue;
            for (int x = Math.Max(0, (int)Math.Ceiling(lo)); x <= Math.Min(w - 1, (int)Math.Floor(hi)); x++) hull[y * w + x] = true;
        }
        return hull;
    }

    /// <summary>Andrew's monotone chain: the hull's corners in order.</summary>
    private static List<(double x, double y)> Hull(List<(double x, double y)> points)
    {
        var sorted = points.Distinct().OrderBy(p => p.x).ThenBy(p => p.y).ToList();
        if (sorted.Count < 3) return sorted;
        var hull = new List<(double x, double y)>();
        static double Cross((double x, double y) o, (double x, double y) a, (double x, double y) b) =>
            (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
        foreach (var pass in new[] { sorted, Enumerable.Reverse(sorted).ToList() })
        {
            int start = hull.Count;
            foreach (var p in pass)
            {
                while (hull.Count >= start + 2 && Cross(hull[^2], hull[^1], p) <= 0) hull.RemoveAt(hull.Count - 1);
                hull.Add(p);
            }
            hull.RemoveAt(hull.Count - 1);
        }
        return hull;
    }
}
