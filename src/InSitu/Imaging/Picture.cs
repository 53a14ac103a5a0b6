namespace InSitu.Imaging;

/// <summary>An RGB picture in memory: HxWx3 bytes.</summary>
public sealed record Picture(byte[] Pixels, int Width, int Height)
{
    public static Picture Blank(int width, int height, byte value = 255) =>
        new(Enumerable.Repeat(value, width * height * 3).ToArray(), width, height);

    public void Paste(Picture p, int x0, int y0)
    {
        for (int y = 0; y < p.Height && y0 + y < Height; y++)
            Array.Copy(p.Pixels, y * p.Width * 3, Pixels, ((y0 + y) * Width + x0) * 3, Math.Min(p.Width, Width - x0) * 3);
    }

    public void Save(string path)
    {
        using var t = Torch.Tensor.FromArray(Pixels, Height, Width, 3);
        Torch.ImageIO.Write(path, t);
    }
}
