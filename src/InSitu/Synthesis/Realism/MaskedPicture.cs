using InSitu.Imaging;

namespace InSitu.Synthesis.Realism;

/// <summary>An RGB picture with the mask of its main embryo (true = embryo), named for the report.</summary>
public sealed record MaskedPicture(string Name, Picture Picture, bool[] Embryo)
{
    public int Width => Picture.Width;
    public int Height => Picture.Height;

    /// <summary>Grey level (mean of R, G, B) of every pixel.</summary>
    public float[] Gray()
    {
        var px = Picture.Pixels;
        var g = new float[Width * Height];
        for (int i = 0; i < g.Length; i++) g[i] = (px[3 * i] + px[3 * i + 1] + px[3 * i + 2]) / 3f;
        return g;
    }

    /// <summary>Half size: pixels averaged over 2x2 blocks, the mask kept where at least half the block is embryo.</summary>
    public MaskedPicture Half()
    {
        int w = Width / 2, h = Height / 2;
        var src = Picture.Pixels;
        var px = new byte[w * h * 3];
        var mask = new bool[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int a = (2 * y * Width + 2 * x), b = a + Width;
                for (int c = 0; c < 3; c++)
                    px[(y * w + x) * 3 + c] = (byte)((src[3 * a + c] + src[3 * a + 3 + c] + src[3 * b + c] + src[3 * b + 3 + c] + 2) / 4);
                int n = (Embryo[a] ? 1 : 0) + (Embryo[a + 1] ? 1 : 0) + (Embryo[b] ? 1 : 0) + (Embryo[b + 1] ? 1 : 0);
                mask[y * w + x] = n >= 2;
            }
        return new MaskedPicture(Name, new Picture(px, w, h), mask);
    }
}
