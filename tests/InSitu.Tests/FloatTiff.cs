namespace InSitu.Tests;

/// <summary>Float images for tests, written by hand because the engine writes none.</summary>
public static class FloatTiff
{
    /// <summary>
    /// A minimal uncompressed single-strip grey float32 TIFF (OpenCV's writer takes no float images through the shim):
    /// little-endian header, one IFD, then the pixels.
    /// </summary>
    public static void Write(string path, int height, int width, Func<int, int, float> value)
    {
        var tags = new (ushort tag, ushort type, uint value)[]
        {
            (256, 4, (uint)width), (257, 4, (uint)height), (258, 3, 32), (259, 3, 1), (262, 3, 1), (273, 4, 0),
            (277, 3, 1), (278, 4, (uint)height), (279, 4, (uint)(width * height * 4)), (284, 3, 1), (339, 3, 3),
        };
        uint dataOffset = (uint)(8 + 2 + tags.Length * 12 + 4);
        using var w = new BinaryWriter(File.Create(path));
        w.Write((byte)'I');
        w.Write((byte)'I');
        w.Write((ushort)42);
        w.Write(8u);
        w.Write((ushort)tags.Length);
        foreach (var (tag, type, v) in tags)
        {
            w.Write(tag);
            w.Write(type);
            w.Write(1u);
            uint val = tag == 273 ? dataOffset : v;
            if (type == 3)
            {
                w.Write((ushort)val);
                w.Write((ushort)0);
            }
            else w.Write(val);
        }
        w.Write(0u);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++) w.Write(value(y, x));
    }
}
