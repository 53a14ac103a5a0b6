using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace InSitu.Web;

/// <summary>
/// PNG encoding of pixels in memory (grey, RGB or RGBA, 8 bits), for thumbnails, tiles and overlays sent to the
/// browser without a file in between.
/// </summary>
public static class PngImage
{
    private static readonly uint[] CrcTable = MakeCrcTable();

    public static byte[] Encode(ReadOnlySpan<byte> pixels, int width, int height, int channels)
    {
        if (channels is not (1 or 3 or 4)) throw new ArgumentException($"{channels} channels: PNG pixels are grey, RGB or RGBA");
        if (pixels.Length != width * height * channels)
            throw new ArgumentException($"{pixels.Length} bytes for {width}x{height}x{channels} pixels");
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        header[9] = channels switch { 1 => 0, 3 => 2, _ => 6 };
        Chunk(png, "IHDR", header);
        using (var raw = new MemoryStream())
        {
            using (var z = new ZLibStream(raw, CompressionLevel.Fastest, leaveOpen: true))
            {
                int stride = width * channels;
                for (int y = 0; y < height; y++)
                {
                    z.WriteByte(0); // no filter
                    z.Write(pixels.Slice(y * stride, stride));
                }
            }
            Chunk(png, "IDAT", raw.ToArray());
        }
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        Span<byte> b4 = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(b4, data.Length);
        s.Write(b4);
        var name = Encoding.ASCII.GetBytes(type);
        s.Write(name);
        s.Write(data);
        uint crc = Crc(Crc(0xFFFFFFFFu, name), data) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(b4, crc);
        s.Write(b4);
    }

    private static uint Crc(uint crc, byte[] data)
    {
        foreach (var b in data) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    private static uint[] MakeCrcTable()
    {
        var t = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        return t;
    }
}
