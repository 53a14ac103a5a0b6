using InSitu.Data;
using InSitu.Imaging;

namespace InSitu.Tests.Imaging;

/// <summary>The row-by-row PNG writer, read back by OpenCV (the decoder everything else in InSitu uses).</summary>
public class PngStreamWriterTests : TempFolderTest
{
    [Fact]
    public void GreyColourAnd16BitRowsReadBackExactly()
    {
        const int w = 37, h = 300; // several IDAT chunks for the 16-bit image
        var gray = Path.Combine(dir, "g.png");
        var rgb = Path.Combine(dir, "c.png");
        var deep = Path.Combine(dir, "d.png");
        using (var g = new PngStreamWriter(gray, w, h, PngFormat.Gray8))
        using (var c = new PngStreamWriter(rgb, w, h, PngFormat.Rgb8))
        using (var d = new PngStreamWriter(deep, w, h, PngFormat.Gray16))
        {
            for (int y = 0; y < h; y++)
            {
                g.WriteRow(Enumerable.Range(0, w).Select(x => (byte)(x * 7 + y)).ToArray());
                c.WriteRow(Enumerable.Range(0, 3 * w).Select(x => (byte)(x * 3 + 5 * y)).ToArray());
                d.WriteRow(Enumerable.Range(0, w).Select(x => (ushort)(x * 1777 + y * 131)).ToArray());
            }
            g.Complete();
            c.Complete();
            d.Complete();
        }
        using var scope = TorchRuntime.NewDisposeScope();
        var gt = ImageIO.Read(gray).ToArray<byte>();
        var ct = ImageIO.Read(rgb).ToArray<byte>();
        var dt = ImageIO.Read(deep);
        Assert.Equal(DType.Int32, dt.DType);
        var dv = dt.ToArray<int>();
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                Assert.Equal((byte)(x * 7 + y), gt[y * w + x]);
                Assert.Equal((ushort)(x * 1777 + y * 131), dv[y * w + x]);
                for (int k = 0; k < 3; k++) Assert.Equal((byte)((3 * x + k) * 3 + 5 * y), ct[(y * w + x) * 3 + k]);
            }
    }

    [Fact]
    public void AnUnfinishedImageLeavesNoFileBehind()
    {
        var path = Path.Combine(dir, "cut.png");
        using (var png = new PngStreamWriter(path, 4, 3, PngFormat.Gray8))
        {
            png.WriteRow(new byte[4]);
            Assert.Throws<InvalidOperationException>(() => png.Complete());
        }
        Assert.Empty(Directory.EnumerateFiles(dir));
        using var full = new PngStreamWriter(path, 4, 1, PngFormat.Gray8);
        full.WriteRow(new byte[4]);
        Assert.Throws<InvalidOperationException>(() => full.WriteRow(new byte[4]));
        full.Dispose();
        using var narrow = new PngStreamWriter(path, 4, 1, PngFormat.Gray8);
        Assert.Throws<ArgumentException>(() => narrow.WriteRow(new byte[3]));
    }

    [Fact]
    public void AnIndexedPngCarriesItsPaletteAndLabelImagesReadItsIndices()
    {
        var path = Path.Combine(dir, "indexed.png");
        var palette = new (byte, byte, byte)[] { (0, 0, 255), (255, 0, 0), (0, 255, 0) };
        using (var png = new PngStreamWriter(path, 3, 2, PngFormat.Indexed8, palette))
        {
            png.WriteRow(new byte[] { 0, 1, 2 });
            png.WriteRow(new byte[] { 2, 2, 1 });
            png.Complete();
        }
        Assert.Equal(palette, PngIndexedReader.Read(path)!.Palette);
        var labels = LabelImage.Read(path, classes: 3);
        Assert.Equal(new[] { 0, 1, 2, 2, 2, 1 }, labels.Labels);
    }
}
