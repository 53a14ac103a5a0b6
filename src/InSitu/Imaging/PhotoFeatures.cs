namespace InSitu.Imaging;

/// <summary>
/// A photo reduced to a work grid of square blocks (the longest side at most a given number of blocks): per block,
/// the mean colour and the texture energy, the mean squared grey-level difference between neighbouring full-resolution
/// pixels inside it. Gradients are taken before reducing, so a block of grainy cells or of an embryo's DIC rim keeps its energy
/// while averaging removes it from the colour.
/// </summary>
public sealed class PhotoFeatures
{
    /// <summary>Full-resolution pixels per block side.</summary>
    public int Block { get; }
    public int Width { get; }
    public int Height { get; }
    /// <summary>Mean R, G, B per block (grey photos: the grey level three times), 0..255, interleaved.</summary>
    public float[] Rgb { get; }
    /// <summary>log(1 + mean squared gradient) per block.</summary>
    public float[] LogEnergy { get; }
    /// <summary>Per block and channel (interleaved): whether any of its pixels is clipped at white (255) there, so that
    /// its mean is cut short.</summary>
    public bool[] Clipped { get; }

    private PhotoFeatures(int block, int width, int height, float[] rgb, float[] logEnergy, bool[] clipped)
    {
        Clipped = clipped;
        Block = block;
        Width = width;
        Height = height;
        Rgb = rgb;
        LogEnergy = logEnergy;
    }

    public static PhotoFeatures Of(byte[] pixels, int width, int height, int channels, int workSide)
    {
        if (channels is not (1 or 3)) throw new ArgumentException("photos must have 1 or 3 channels");
        int block = Math.Max(1, (int)Math.Ceiling((double)Math.Max(width, height) / workSide));
        int ww = Math.Max(1, width / block), wh = Math.Max(1, height / block);
        var grey = new float[width * height];
        for (int i = 0; i < grey.Length; i++)
            grey[i] = channels == 1 ? pixels[i] : (pixels[3 * i] + pixels[3 * i + 1] + pixels[3 * i + 2]) / 3f;
        var rgb = new float[3 * ww * wh];
        var energy = new float[ww * wh];
        var count = new int[ww * wh];
        var clipped = new bool[3 * ww * wh];
        for (int y = 0; y < height; y++)
        {
            int wy = Math.Min(wh - 1, y / block), yp = Math.Min(height - 1, y + 1) * width;
            for (int x = 0; x < width; x++)
            {
                int k = wy * ww + Math.Min(ww - 1, x / block), i = y * width + x;
                // differences to the next pixel (central differences would miss the finest grain, which alternates pixel
                // by pixel)
                float gx = grey[y * width + Math.Min(width - 1, x + 1)] - grey[i];
                float gy = grey[yp + x] - grey[i];
                energy[k] += gx * gx + gy * gy;
                for (int c = 0; c < 3; c++)
                {
                    byte v = channels == 1 ? pixels[i] : pixels[3 * i + c];
                    rgb[3 * k + c] += v;
                    if (v == 255) clipped[3 * k + c] = true;
                }
                count[k]++;
            }
        }
        for (int k = 0; k < energy.Length; k++)
        {
            energy[k] = MathF.Log(1 + energy[k] / count[k]);
            for (int c = 0; c < 3; c++) rgb[3 * k + c] /= count[k];
        }
        return new PhotoFeatures(block, ww, wh, rgb, energy, clipped);
    }
}
