namespace InSitu.Imaging;

/// <summary>Pictures of label and probability maps for reports: class colours blended over an image, and heat maps.</summary>
public static class LabelColors
{
    private static readonly (byte R, byte G, byte B)[] Palette =
    {
        (90, 90, 90), (230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180), (70, 240, 240),
        (240, 50, 230), (210, 245, 60), (250, 190, 190), (0, 128, 128), (170, 110, 40), (128, 0, 0), (0, 0, 128),
    };

    /// <summary>Class <paramref name="c"/>'s colour: a fixed list, then hashed colours for classes beyond it.</summary>
    public static (byte R, byte G, byte B) Of(int c)
    {
        if (c < Palette.Length) return Palette[c];
        uint h = (uint)c * 2654435761u;
        return ((byte)(64 + (h & 0xBF)), (byte)(64 + ((h >> 8) & 0xBF)), (byte)(64 + ((h >> 16) & 0xBF)));
    }

    /// <summary>
    /// The grey or RGB image (<paramref name="channels"/> interleaved bytes) with each labelled pixel tinted by its
    /// class colour (<paramref name="alpha"/> of the colour); pixels equal to <paramref name="skip"/> (e.g. the unlabelled
    /// value, or a background class) keep the image.
    /// </summary>
    public static Picture Overlay(byte[] image, int channels, int width, int height, int[] labels, float alpha = 0.45f,
        params int[] skip)
    {
        var px = new byte[width * height * 3];
        for (int i = 0; i < width * height; i++)
        {
            byte r = image[i * channels], g = image[i * channels + (channels == 1 ? 0 : 1)],
                b = image[i * channels + (channels == 1 ? 0 : 2)];
            if (Array.IndexOf(skip, labels[i]) < 0)
            {
                var c = Of(labels[i]);
                r = (byte)(r + alpha * (c.R - r));
                g = (byte)(g + alpha * (c.G - g));
                b = (byte)(b + alpha * (c.B - b));
            }
            (px[3 * i], px[3 * i + 1], px[3 * i + 2]) = (r, g, b);
        }
        return new Picture(px, width, height);
    }

    /// <summary>Values in [0, 1] as a heat map: black, through red and orange, to yellow-white.</summary>
    public static Picture Heat(float[] values, int width, int height)
    {
        var px = new byte[width * height * 3];
        for (int i = 0; i < width * height; i++)
        {
            float v = float.IsFinite(values[i]) ? Math.Clamp(values[i], 0, 1) : 0;
            px[3 * i] = (byte)(255 * Math.Clamp(3 * v, 0, 1));
            px[3 * i + 1] = (byte)(255 * Math.Clamp(3 * v - 1, 0, 1));
            px[3 * i + 2] = (byte)(255 * Math.Clamp(3 * v - 2, 0, 1));
        }
        return new Picture(px, width, height);
    }

    /// <summary>Draws a rectangle outline (2 pixels wide) on a picture.</summary>
    public static void Rectangle(Picture p, int x0, int y0, int w, int h, (byte R, byte G, byte B) colour)
    {
        for (int t = 0; t < 2; t++)
        {
            for (int x = x0; x < x0 + w; x++)
            {
                Set(p, x, y0 + t, colour);
                Set(p, x, y0 + h - 1 - t, colour);
            }
            for (int y = y0; y < y0 + h; y++)
            {
                Set(p, x0 + t, y, colour);
                Set(p, x0 + w - 1 - t, y, colour);
            }
        }
    }

    private static void Set(Picture p, int x, int y, (byte R, byte G, byte B) c)
    {
        if (x < 0 || y < 0 || x >= p.Width || y >= p.Height) return;
        int i = 3 * (y * p.Width + x);
        (p.Pixels[i], p.Pixels[i + 1], p.Pixels[i + 2]) = (c.R, c.G, c.B);
    }
}
