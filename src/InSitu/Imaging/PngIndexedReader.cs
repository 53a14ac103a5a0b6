using System.Buffers.Binary;
using System.IO.Compression;

namespace InSitu.Imaging;

/// <summary>
/// The palette indices of an indexed (colour type 3) PNG, which OpenCV would expand into colours: for label images the
/// index is the class, and two entries of one colour (unused entries are often all black) must not be confused. Reads
/// non-interlaced files of 1, 2, 4 or 8 bits per index, undoing the five PNG row filters.
/// </summary>
public static class PngIndexedReader
{
    public sealed record Indexed(int[] Indices, int Height, int Width, (byte R, byte G, byte B)[] Palette);

    /// <summary>The indices and palette, or null when the file is not a non-interlaced indexed PNG.</summary>
    public static Indexed? Read(string path)
    {
        var b = File.ReadAllBytes(path);
        if (b.Length < 33 || b[0] != 0x89 || b[1] != 0x50 || b[2] != 0x4E || b[3] != 0x47) return null;
        int width = BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(16)), height = BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(20));
        int depth = b[24], colourType = b[25], interlace = b[28];
        if (colourType != 3 || interlace != 0 || depth is not (1 or 2 or 4 or 8) || width < 1 || height < 1) return null;
        (byte, byte, byte)[]? palette = null;
        using var idat = new MemoryStream();
        for (int o = 8; o + 12 <= b.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(o));
            if (length < 0 || o + 12L + length > b.Length)
                throw new InvalidDataException($"image '{path}' is a damaged PNG (chunk at byte {o})");
            var type = System.Text.Encoding.ASCII.GetString(b, o + 4, 4);
            if (type == "PLTE")
            {
                palette = new (byte, byte, byte)[length / 3];
                for (int k = 0; k < palette.Length; k++) palette[k] = (b[o + 8 + 3 * k], b[o + 9 + 3 * k], b[o + 10 + 3 * k]);
            }
            else if (type == "IDAT") idat.Write(b, o + 8, length);
            else if (type == "IEND") break;
            o += 12 + length;
        }
        if (palette is null) throw new InvalidDataException($"image '{path}' is an indexed PNG without a palette (PLTE chunk)");
        int stride = (width * depth + 7) / 8;
        var raw = new byte[(long)(stride + 1) * height];
        idat.Position = 0;
        using (var z = new ZLibStream(idat, CompressionMode.Decompress))
        {
            int read = 0;
            while (read < raw.Length)
            {
                int n = z.Read(raw, read, raw.Length - read);
                if (n == 0) throw new InvalidDataException($"image '{path}' is a truncated PNG (its pixel data ends early)");
                read += n;
            }
        }
        var indices = new int[width * height];
        var previous = new byte[stride];
        var row = new byte[stride];
        for (int y = 0; y < height; y++)
        {
            int filter = raw[(long)y * (stride + 1)];
            Array.Copy(raw, (long)y * (stride + 1) + 1, row, 0, stride);
            Unfilter(filter, row, previous, path, y);
            for (int x = 0; x < width; x++)
            {
                int bit = x * depth;
                indices[y * width + x] = (row[bit >> 3] >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
            }
            (previous, row) = (row, previous);
        }
        return new Indexed(indices, height, width, palette);
    }

    /// <summary>Undoes one row's filter in place (bytes per pixel 1: indices are at most one byte).</summary>
    private static void Unfilter(int filter, byte[] row, byte[] above, string path, int y)
    {
        for (int i = 0; i < row.Length; i++)
        {
            int left = i > 0 ? row[i - 1] : 0, up = above[i], corner = i > 0 ? above[i - 1] : 0;
            row[i] = (byte)(row[i] + filter switch
            {
                0 => 0,
                1 => left,
                2 => up,
                3 => (left + up) / 2,
                4 => Paeth(left, up, corner),
                _ => throw new InvalidDataException($"image '{path}' has an unknown PNG row filter {filter} in row {y}"),
            });
        }
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
