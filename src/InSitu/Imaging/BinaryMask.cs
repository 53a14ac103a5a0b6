namespace InSitu.Imaging;

/// <summary>Operations on binary masks (row-major, true = inside): components, hole filling, and morphology with round
/// structuring elements of any radius (by the exact distance transform).</summary>
public static class BinaryMask
{
    /// <summary>4-connected components: a label per pixel (0 = outside) and each component's size (label k at index k - 1).</summary>
    public static (int[] labels, List<int> sizes) Components(bool[] mask, int w, int h)
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
                if (x > 0) Visit(i - 1);
                if (x < w - 1) Visit(i + 1);
                if (y > 0) Visit(i - w);
                if (y < h - 1) Visit(i + w);

                void Visit(int j)
                {
                    if (!mask[j] || labels[j] != 0) return;
                    labels[j] = label;
                    stack.Push(j);
                }
            }
            sizes.Add(size);
        }
        return (labels, sizes);
    }

    /// <summary>Outside regions not reachable from the image border are holes: they join the mask.</summary>
    public static bool[] FillHoles(bool[] mask, int w, int h)
    {
        var outside = new bool[mask.Length];
        var stack = new Stack<int>();
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
        var filled = new bool[mask.Length];
        for (int i = 0; i < mask.Length; i++) filled[i] = !outside[i];
        return filled;

        void Seed(int i)
        {
            if (mask[i] || outside[i]) return;
            outside[i] = true;
            stack.Push(i);
        }
    }

    /// <summary>Every pixel within <paramref name="radius"/> of the mask.</summary>
    public static bool[] Dilate(bool[] mask, int w, int h, float radius)
    {
        var d = DistanceTransform.ToNearest(mask, w, h, target: true);
        var result = new bool[mask.Length];
        for (int i = 0; i < mask.Length; i++) result[i] = d[i] <= radius;
        return result;
    }

    /// <summary>Every mask pixel further than <paramref name="radius"/> from the outside (the image border is not outside).</summary>
    public static bool[] Erode(bool[] mask, int w, int h, float radius)
    {
        var d = DistanceTransform.ToNearest(mask, w, h, target: false);
        var result = new bool[mask.Length];
        for (int i = 0; i < mask.Length; i++) result[i] = d[i] > radius;
        return result;
    }

    /// <summary>Closing: fills gaps and bays narrower than twice the radius.</summary>
    public static bool[] Close(bool[] mask, int w, int h, float radius) => Erode(Dilate(mask, w, h, radius), w, h, radius);

    /// <summary>Opening: removes specks and spurs narrower than twice the radius.</summary>
    public static bool[] Open(bool[] mask, int w, int h, float radius) => Dilate(Erode(mask, w, h, radius), w, h, radius);

    /// <summary>Mask pixels with a 4-neighbour outside the mask or on the image border.</summary>
    public static bool IsBoundary(bool[] mask, int w, int h, int i)
    {
        if (!mask[i]) return false;
        int x = i % w, y = i / w;
        return x == 0 || y == 0 || x == w - 1 || y == h - 1 || !mask[i - 1] || !mask[i + 1] || !mask[i - w] || !mask[i + w];
    }
}
