namespace InSitu.Imaging;

/// <summary>Bilinear reading of a C x H x W float image between pixel centres, shared by every warp.</summary>
public static class Bilinear
{
    /// <summary>
    /// Writes the image at (sx, sy), which must lie within [0, W - 1] x [0, H - 1], into <paramref name="dst"/> at
    /// <paramref name="index"/> of each channel plane.
    /// </summary>
    public static void Sample(float[] src, int channels, int width, int height, float sx, float sy, float[] dst, int index)
    {
        int x0 = Math.Min((int)sx, width - 2 < 0 ? 0 : width - 2), y0 = Math.Min((int)sy, height - 2 < 0 ? 0 : height - 2);
        int x1 = Math.Min(x0 + 1, width - 1), y1 = Math.Min(y0 + 1, height - 1);
        float fx = sx - x0, fy = sy - y0;
        int plane = width * height;
        for (int c = 0; c < channels; c++)
        {
            int o = c * plane;
            float top = src[o + y0 * width + x0] + fx * (src[o + y0 * width + x1] - src[o + y0 * width + x0]);
            float bottom = src[o + y1 * width + x0] + fx * (src[o + y1 * width + x1] - src[o + y1 * width + x0]);
            dst[o + index] = top + fy * (bottom - top);
        }
    }
}
