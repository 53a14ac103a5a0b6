namespace InSitu.Synthesis.Realism;

/// <summary>Which pixels of a picture a measure looks at.</summary>
public enum Region { Embryo, Background }

/// <summary>
/// Per-channel colour histograms (256 levels, R, G, B) of the embryo or the background of a set of pictures, each
/// picture weighted equally, and their earth mover's distance: the mean number of grey levels the pixels of one
/// histogram must move to match the other (for 1-D histograms, the area between the two cumulative distributions).
/// </summary>
public static class ColourHistograms
{
    /// <summary>[channel][level] shares summing to 1 per channel; pictures without pixels in the region are left out.</summary>
    public static double[][] Of(IEnumerable<MaskedPicture> pictures, Region region)
    {
        var sum = new double[3][];
        for (int c = 0; c < 3; c++) sum[c] = new double[256];
        int used = 0;
        foreach (var p in pictures)
        {
            var counts = new long[3, 256];
            long n = 0;
            var px = p.Picture.Pixels;
            for (int i = 0; i < p.Embryo.Length; i++)
            {
                if (p.Embryo[i] != (region == Region.Embryo)) continue;
                for (int c = 0; c < 3; c++) counts[c, px[3 * i + c]]++;
                n++;
            }
            if (n == 0) continue;
            for (int c = 0; c < 3; c++)
                for (int v = 0; v < 256; v++) sum[c][v] += counts[c, v] / (double)n;
            used++;
        }
        if (used == 0) throw new ArgumentException($"no picture has {(region == Region.Embryo ? "embryo" : "background")} pixels");
        foreach (var channel in sum)
            for (int v = 0; v < 256; v++) channel[v] /= used;
        return sum;
    }

    /// <summary>Earth mover's distance between two histograms of one channel, in grey levels.</summary>
    public static double EarthMovers(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count != b.Count) throw new ArgumentException("histograms of different lengths");
        double ca = 0, cb = 0, distance = 0;
        for (int v = 0; v < a.Count; v++)
        {
            ca += a[v];
            cb += b[v];
            distance += Math.Abs(ca - cb);
        }
        return distance;
    }

    /// <summary>Histogram summed into <paramref name="bins"/> equal bins, for plotting.</summary>
    public static double[] Coarse(IReadOnlyList<double> histogram, int bins)
    {
        var coarse = new double[bins];
        for (int v = 0; v < histogram.Count; v++) coarse[v * bins / histogram.Count] += histogram[v];
        return coarse;
    }
}
