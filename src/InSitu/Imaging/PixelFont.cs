namespace InSitu.Imaging;

/// <summary>Digits in a 3x5 pixel font, for labelling generated figures without a font library.</summary>
public static class PixelFont
{
    private static readonly string[] Digits =
    {
        "111101101101111", "010110010010111", "111001111100111", "111001111001111", "101101111001001",
        "111100111001111", "111100111101111", "111001001001001", "111101111101111", "111101111001111",
    };

    public static int TextWidth(string text, int scale) => text.Length * 4 * scale - scale;

    /// <summary>Draws <paramref name="text"/> (digits only) in black into HxWx3 bytes at (x, y), each font pixel scale x scale.</summary>
    public static void Draw(byte[] pixels, int width, int x, int y, string text, int scale, byte value = 0)
    {
        int height = pixels.Length / (3 * width);
        for (int d = 0; d < text.Length; d++)
        {
            if (text[d] is < '0' or > '9') continue;
            var glyph = Digits[text[d] - '0'];
            for (int gy = 0; gy < 5; gy++)
                for (int gx = 0; gx < 3; gx++)
                    if (glyph[gy * 3 + gx] == '1')
                        for (int sy = 0; sy < scale; sy++)
                            for (int sx = 0; sx < scale; sx++)
                            {
                                int px = x + (d * 4 + gx) * scale + sx, py = y + gy * scale + sy;
                                if (px < 0 || py < 0 || px >= width || py >= height) continue;
                                int i = (py * width + px) * 3;
                                pixels[i] = pixels[i + 1] = pixels[i + 2] = value;
                            }
        }
    }
}
