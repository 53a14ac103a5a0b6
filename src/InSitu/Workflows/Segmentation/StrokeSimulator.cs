using InSitu.Common;
using InSitu.Imaging;

namespace InSitu.Workflows.Segmentation;

/// <summary>
/// Simulated partial annotation (seed 003: annotators outline "a few cells and some background area" of a patch):
/// within a region of a fully labelled image, every connected piece of every class keeps the given fraction of its
/// pixels that lie farthest from the piece's edge (the region's edge counting as an edge) — blobs near object centres
/// and in the middle of background areas, as strokes drawn well inside what they mark; every other pixel is left
/// unannotated. Deterministic: the same truth and fraction give the same strokes.
/// </summary>
public static class StrokeSimulator
{
    /// <summary>
    /// Writes the strokes for <paramref name="region"/> of <paramref name="truth"/> (W x H class numbers, <paramref name="ignore"/>
    /// where unknown) into <paramref name="labels"/> (same size), leaving its other pixels as they are.
    /// </summary>
    public static void Annotate(int[] truth, int width, int height, (int X, int Y, int W, int H) region, double fraction,
        int[] labels, int ignore)
    {
        if (fraction is <= 0 or > 1) throw new ArgumentException($"the annotated fraction must be in (0, 1] (got {fraction})");
        int x0 = Math.Max(0, region.X), y0 = Math.Max(0, region.Y);
        int w = Math.Min(width, region.X + region.W) - x0, h = Math.Min(height, region.Y + region.H) - y0;
        if (w <= 0 || h <= 0) return;
        var crop = new int[w * h];
        for (int y = 0; y < h; y++) Array.Copy(truth, (y0 + y) * width + x0, crop, y * w, w);
        var seen = new bool[w * h];
        var queue = new Queue<int>();
        // per class: distance of each of its pixels to the nearest pixel of another class or beyond the region
        var byClass = new Dictionary<int, float[]>();
        for (int start = 0; start < crop.Length; start++)
        {
            int c = crop[start];
            if (seen[start] || c == ignore) continue;
            if (!byClass.TryGetValue(c, out var distance)) byClass[c] = distance = InteriorDistance(crop, w, h, c);
            // one connected piece (4-neighbours) of class c
            var piece = new List<int>();
            seen[start] = true;
            queue.Enqueue(start);
            while (queue.Count > 0)
            {
                int p = queue.Dequeue();
                piece.Add(p);
                int px = p % w, py = p / w;
                foreach (var q in new[] { px > 0 ? p - 1 : -1, px < w - 1 ? p + 1 : -1, py > 0 ? p - w : -1, py < h - 1 ? p + w : -1 })
                    if (q >= 0 && !seen[q] && crop[q] == c)
                    {
                        seen[q] = true;
                        queue.Enqueue(q);
                    }
            }
            int keep = (int)Math.Round(fraction * piece.Count);
            if (keep == 0) continue;
            // the core: the pixels farthest inside, ties broken by position so the result is reproducible
            piece.Sort((a, b) => distance[b] != distance[a] ? distance[b].CompareTo(distance[a]) : a.CompareTo(b));
            for (int i = 0; i < keep; i++)
            {
                int p = piece[i];
                labels[(y0 + p / w) * width + x0 + p % w] = c;
            }
        }
    }

    /// <summary>
    /// Scribbles, the other way annotators mark regions: random brush strokes (a disc of <paramref name="brush"/> pixels'
    /// radius dragged along a wandering line of 10 to 60 pixels) drawn inside each class's area, never within a brush
    /// width of another class, until about <paramref name="fraction"/> of the class's pixels in the region are marked.
    /// Unlike <see cref="Annotate"/> every part of an area can get a stroke (a frame, a thin rim), not only its centre.
    /// Deterministic in <paramref name="seed"/>.
    /// </summary>
    public static void Scribble(int[] truth, int width, int height, (int X, int Y, int W, int H) region, double fraction, int[] labels,
        int ignore, int seed, int brush = 2)
    {
        if (fraction is <= 0 or > 1) throw new ArgumentException($"the annotated fraction must be in (0, 1] (got {fraction})");
        int x0 = Math.Max(0, region.X), y0 = Math.Max(0, region.Y);
        int w = Math.Min(width, region.X + region.W) - x0, h = Math.Min(height, region.Y + region.H) - y0;
        if (w <= 0 || h <= 0) return;
        var r = new SeededRandom((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)(y0 * width + x0));
        var classes = new SortedSet<int>();
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if (truth[(y0 + y) * width + x0 + x] is var v && v != ignore) classes.Add(v);
        foreach (int c in classes)
        {
            // distance of each pixel of class c to the nearest pixel of another class (the image's edge is no boundary)
            var mask = new bool[w * h];
            int total = 0;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    if (truth[(y0 + y) * width + x0 + x] == c)
                    {
                        mask[y * w + x] = true;
                        total++;
                    }
            var inside = mask.All(m => m) ? null : DistanceTransform.ToNearest(mask, w, h, target: false);
            bool Free(int x, int y) =>
                x >= 0 && y >= 0 && x < w && y < h && mask[y * w + x] && (inside is null || inside[y * w + x] > brush + 0.5f);
            var centres = Enumerable.Range(0, w * h).Where(p => Free(p % w, p / w)).ToArray();
            if (centres.Length < total / 4)
            {
                // an area mostly thinner than a brush stroke (a rim, a frame): strokes start anywhere on it
                centres = Enumerable.Range(0, w * h).Where(p => mask[p]).ToArray();
                inside = null;
            }
            int target = Math.Max(1, (int)Math.Round(fraction * total)), marked = 0;
            for (int attempt = 0; attempt < 10_000 && marked < target; attempt++)
            {
                int start = centres[r.Int(centres.Length)];
                float px = start % w, py = start / w, angle = r.Uniform(0, 2 * MathF.PI);
                int length = 10 + r.Int(51);
                for (int step = 0; step < length && marked < target; step++)
                {
                    if (!Free((int)MathF.Round(px), (int)MathF.Round(py))) break;
                    for (int dy = -brush; dy <= brush; dy++)
                        for (int dx = -brush; dx <= brush; dx++)
                        {
                            int x = (int)MathF.Round(px) + dx, y = (int)MathF.Round(py) + dy;
                            if (dx * dx + dy * dy > brush * brush || x < 0 || y < 0 || x >= w || y >= h || !mask[y * w + x]) continue;
                            int p = (y0 + y) * width + x0 + x;
                            if (labels[p] == c) continue;
                            labels[p] = c;
                            marked++;
                        }
                    angle += r.Uniform(-0.3f, 0.3f);
                    px += MathF.Cos(angle);
                    py += MathF.Sin(angle);
                }
            }
        }
    }

    /// <summary>
    /// Euclidean distance from each pixel of class <paramref name="c"/> to the nearest other pixel, the region's outside counting as other.
    /// </summary>
    private static float[] InteriorDistance(int[] crop, int w, int h, int c)
    {
        int pw = w + 2, ph = h + 2;
        var mask = new bool[pw * ph];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                mask[(y + 1) * pw + x + 1] = crop[y * w + x] == c;
        var d = DistanceTransform.ToNearest(mask, pw, ph, target: false);
        var inner = new float[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                inner[y * w + x] = d[(y + 1) * pw + x + 1];
        return inner;
    }
}
