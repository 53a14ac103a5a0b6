using InSitu.Data;
using InSitu.Imaging;

namespace InSitu.Tests.Data;

/// <summary>The label formats annotators produce: grey class numbers, indexed PNGs, colour PNGs with a palette file.</summary>
public class LabelImageTests : TempFolderTest
{
    private string Colour(string name, (byte R, byte G, byte B, byte A)[] pixels, int width)
    {
        var path = Path.Combine(dir, name);
        var bytes = pixels.SelectMany(p => new[] { p.R, p.G, p.B, p.A }).ToArray();
        using var t = Tensor.FromArray(bytes, pixels.Length / width, width, 4);
        ImageIO.Write(path, t);
        return path;
    }

    private string Palette(string json)
    {
        var path = Path.Combine(dir, "palette.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void GreyLabelsAreClassNumbersWithTheUnlabelledValue()
    {
        var path = Path.Combine(dir, "grey.png");
        SourceTestData.WriteMask(path, 2, 3, (y, x) => y == 0 ? x : 255);
        var map = LabelImage.Read(path, classes: 3);
        Assert.Equal(new[] { 0, 1, 2, 255, 255, 255 }, map.Labels);
        Assert.Equal(3, map.Annotated(255));
        var e = Assert.Throws<InvalidDataException>(() => LabelImage.Read(path, classes: 2));
        Assert.Contains("'" + path + "' has value 2 at x=2, y=0, outside the classes 0..1", e.Message);
    }

    [Fact]
    public void ColourLabelsMapThroughThePaletteAndTransparencyIsUnlabelled()
    {
        var palette = LabelPalette.Load(Palette(
            "{\"classes\": [{\"name\": \"bg\", \"color\": \"#0000ff\"}, {\"name\": \"cell\", \"color\": [255, 0, 0]}], \"unlabelled\": " +
                "\"#000000\"}"));
        Assert.Equal(new[] { "bg", "cell" }, palette.Names);
        var path = Colour("c.png", [(0, 0, 255, 255), (255, 0, 0, 255), (0, 0, 0, 255), (255, 0, 0, 0)], 2);
        Assert.Equal(new[] { 0, 1, 255, 255 }, LabelImage.Read(path, 2, palette).Labels);
        var odd = Colour("odd.png", [(0, 0, 255, 255), (250, 3, 0, 255)], 2);
        var e = Assert.Throws<InvalidDataException>(() => LabelImage.Read(odd, 2, palette));
        Assert.Contains("colour #fa0300 at x=1, y=0, which is no class of its palette", e.Message);
        var noPalette = Assert.Throws<InvalidDataException>(() => LabelImage.Read(path, 2));
        Assert.Contains("--palette", noPalette.Message);
    }

    [Theory]
    [InlineData("{\"classes\": [{\"color\": \"#000000\"}]}", "at least 2")]
    [InlineData("{\"classes\": [{\"color\": \"#000000\"}, {\"color\": \"#000000\"}]}", "given to two classes")]
    [InlineData("{\"classes\": [{\"color\": \"red\"}, {\"color\": \"#000000\"}]}", "$.classes[0]: a colour is")]
    [InlineData("{\"classes\": [{\"color\": \"#ff0000\"}, {\"color\": \"#000000\"}], \"unlabelled\": \"#ff0000\"}", "is a class colour")]
    [InlineData("not json", "not valid JSON")]
    public void BadPalettesAreRefusedNamingTheProblem(string json, string message)
    {
        var e = Assert.Throws<InvalidDataException>(() => LabelPalette.Load(Palette(json)));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Contains("palette.json", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnIndexedPngMeansItsPaletteIndicesEvenWhereColoursRepeat()
    {
        var path = Path.Combine(dir, "indexed.png");
        // entries 0 and 2 are both black, as unused palette entries often are: the indices tell them apart
        using (var png = new PngStreamWriter(path, 2, 2, PngFormat.Indexed8, [(0, 0, 0), (200, 0, 0), (0, 0, 0)]))
        {
            png.WriteRow(new byte[] { 0, 2 });
            png.WriteRow(new byte[] { 1, 1 });
            png.Complete();
        }
        Assert.Equal(new[] { 0, 2, 1, 1 }, LabelImage.Read(path, 3).Labels);
        Assert.Null(PngIndexedReader.Read(Colour("rgb.png", [(1, 2, 3, 255)], 1)));
    }

    [Fact]
    public void TwoBitIndexedPngsWithEveryRowFilterReadBack()
    {
        // 2 bits per index, 7 pixels a row (two bytes, the last partly padding), rows filtered None, Sub, Up, Average, Paeth
        int[][] rows = [[0, 1, 2, 3, 2, 1, 0], [3, 3, 2, 2, 1, 1, 0], [1, 2, 3, 0, 1, 2, 3], [2, 2, 2, 2, 2, 2, 2], [0, 3, 0, 3, 0, 3, 1]];
        var raw = new List<byte>();
        var previous = new byte[2];
        for (int y = 0; y < rows.Length; y++)
        {
            var packed = new byte[2];
            for (int x = 0; x < 7; x++) packed[x / 4] |= (byte)(rows[y][x] << (6 - 2 * (x % 4)));
            raw.Add((byte)y);
            for (int i = 0; i < 2; i++)
            {
                int left = i > 0 ? packed[i - 1] : 0, up = previous[i], corner = i > 0 ? previous[i - 1] : 0;
                int p = left + up - corner, pa = Math.Abs(p - left), pb = Math.Abs(p - up), pc = Math.Abs(p - corner);
                int predictor = y switch
                {
                    0 => 0,
                    1 => left,
                    2 => up,
                    3 => (left + up) / 2,
                    _ => pa <= pb && pa <= pc ? left : pb <= pc ? up : corner,
                };
                raw.Add((byte)(packed[i] - predictor));
            }
            previous = packed;
        }
        var path = Path.Combine(dir, "two-bit.png");
        File.WriteAllBytes(path, TinyPng.Indexed(7, rows.Length, 2, [(0, 0, 0), (1, 1, 1), (2, 2, 2), (0, 0, 0)], raw.ToArray()));
        var read = PngIndexedReader.Read(path)!;
        Assert.Equal(rows.SelectMany(r => r), read.Indices);
        Assert.Equal((7, 5), (read.Width, read.Height));
    }
}

/// <summary>A PNG assembled chunk by chunk, for decoder cases no writer in the project makes.</summary>
internal static class TinyPng
{
    public static byte[] Indexed(int width, int height, int depth, (byte, byte, byte)[] palette, byte[] filteredRows)
    {
        var png = new MemoryStream();
        png.Write(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A });
        var header = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header, width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        (header[8], header[9]) = ((byte)depth, 3);
        Chunk(png, "IHDR", header);
        Chunk(png, "PLTE", palette.SelectMany(c => new[] { c.Item1, c.Item2, c.Item3 }).ToArray());
        var z = new MemoryStream();
        using (var zlib = new System.IO.Compression.ZLibStream(z, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
            zlib.Write(filteredRows);
        Chunk(png, "IDAT", z.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var head = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        for (int i = 0; i < 4; i++) head[4 + i] = (byte)type[i];
        s.Write(head);
        s.Write(data);
        uint crc = 0xFFFFFFFF;
        foreach (var b in head.Skip(4).Concat(data))
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        var tail = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(tail, crc ^ 0xFFFFFFFF);
        s.Write(tail);
    }
}
