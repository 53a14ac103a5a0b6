namespace InSitu.Imaging;

/// <summary>
/// What the standardiser saw, drawn over the photo at its work-grid size: everything that stood out from the background
/// tinted blue, the outline of each separated body in yellow and the main embryo's outline in red.
/// </summary>
public static class StandardizeOverlay
{
    public static Picture Draw(byte[] pixels, int width, int height, int channels, EmbryoMasks masks)
    {
        int w = masks.Width, h = masks.Height, block = masks.Block;
        var px = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int k = y * w + x;
                for (int c = 0; c < 3; c++)
                {
                    double sum = 0;
                    for (int j = 0; j < block; j++)
                        for (int i = 0; i < block; i++)
                            sum += pixels[((y * block + j) * width + x * block + i) * channels + (channels == 1 ? 0 : c)];
                    double v = sum / (block * block);
                    if (masks.Foreground[k]) v = c == 2 ? 0.7 * v + 0.3 * 255 : 0.85 * v;
                    px[3 * k + c] = (byte)Math.Round(v);
                }
            }
        var main = new bool[w * h];
        for (int k = 0; k < main.Length; k++) main[k] = masks.Main > 0 && masks.Bodies[k] == masks.Main;
        var bodies = masks.Bodies.Select(b => b > 0).ToArray();
        for (int k = 0; k < main.Length; k++)
        {
            int x = k % w, y = k / w;
            int b = masks.Bodies[k];
            bool contact = bodies[k] && x > 0 && y > 0 && x < w - 1 && y < h - 1 &&
                (masks.Bodies[k - 1] != b || masks.Bodies[k + 1] != b || masks.Bodies[k - w] != b || masks.Bodies[k + w] != b);
            if (BinaryMask.IsBoundary(bodies, w, h, k) || contact) Paint(px, k, 255, 220, 0);
        }
        // the main outline two pixels thick: the mask grown by one pixel, less its inside
        var grown = BinaryMask.Dilate(main, w, h, 1);
        for (int k = 0; k < main.Length; k++)
            if (grown[k] && (!main[k] || BinaryMask.IsBoundary(main, w, h, k))) Paint(px, k, 230, 0, 0);
        return new Picture(px, w, h);
    }

    private static void Paint(byte[] px, int k, byte r, byte g, byte b)
    {
        px[3 * k] = r;
        px[3 * k + 1] = g;
        px[3 * k + 2] = b;
    }
}
