namespace InSitu.Imaging;

/// <summary>Separable Gaussian blur (radius ceil(2.5 sigma), edges clamped) of an interleaved HxWxC float image.</summary>
public static class GaussianBlur
{
    /// <summary>
    /// Blurs the H x W x channels interleaved image at <paramref name="offset"/> in <paramref name="src"/> into the same
    /// place in <paramref name="dst"/>. <paramref name="scratch"/>, when given and large enough (H x W x channels), holds
    /// the intermediate rows instead of a new array.
    /// </summary>
    public static void Apply(float[] src, float[] dst, int offset, int width, int height, int channels, float sigma,
        float[]? scratch = null)
    {
        int radius = Math.Max(1, (int)MathF.Ceiling(2.5f * sigma));
        var k = new float[2 * radius + 1];
        float sum = 0;
        for (int i = -radius; i <= radius; i++) sum += k[i + radius] = MathF.Exp(-i * i / (2 * sigma * sigma));
        for (int i = 0; i < k.Length; i++) k[i] /= sum;
        int stride = width * channels;
        var tmp = scratch is not null && scratch.Length >= height * stride ? scratch : new float[height * stride];
        // rows: each padded by clamping, so the inner loop needs no bounds logic
        var row = new float[(width + 2 * radius) * channels];
        for (int y = 0; y < height; y++)
        {
            int o = y * stride;
            for (int x = -radius; x < width + radius; x++)
            {
                int sx = Math.Clamp(x, 0, width - 1);
                for (int c = 0; c < channels; c++) row[(x + radius) * channels + c] = src[offset + o + sx * channels + c];
            }
            for (int x = 0; x < stride; x++)
            {
                float acc = 0;
                for (int j = 0; j < k.Length; j++) acc += k[j] * row[x + j * channels];
                tmp[o + x] = acc;
            }
        }
        Array.Clear(dst, offset, height * stride);
        for (int y = 0; y < height; y++)
        {
            int o = offset + y * stride;
            for (int j = 0; j < k.Length; j++)
            {
                int sy = Math.Clamp(y + j - radius, 0, height - 1) * stride;
                float w = k[j];
                for (int x = 0; x < stride; x++) dst[o + x] += w * tmp[sy + x];
            }
        }
    }
}
