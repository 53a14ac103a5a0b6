using InSitu.Torch;

namespace InSitu.Torch.Tests;

public class ImageTests : TempFolderTest
{
    private static Tensor Gradient(int h, int w, int c, int max)
    {
        var data = new int[h * w * c];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int k = 0; k < c; k++)
                    data[(y * w + x) * c + k] = (y * 31 + x * 17 + k * 101) % (max + 1);
        return Tensor.FromArray(data, h, w, c);
    }

    [Theory]
    [InlineData(".png", 3)]
    [InlineData(".png", 1)]
    [InlineData(".png", 4)]
    [InlineData(".bmp", 3)]
    [InlineData(".tif", 3)]
    [InlineData(".tif", 1)]
    public void EightBitRoundTripsExactly(string ext, int channels)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var img = Gradient(9, 13, channels, 255).Cast(DType.UInt8);
        var path = Path.Combine(dir, "a" + ext);
        ImageIO.Write(path, img);
        var back = ImageIO.Read(path);
        Assert.Equal(DType.UInt8, back.DType);
        Assert.Equal(new long[] { 9, 13, channels }, back.Shape);
        Assert.Equal(img.ToArray<byte>(), back.ToArray<byte>());
    }

    [Theory]
    [InlineData(".png", 1)]
    [InlineData(".png", 3)]
    [InlineData(".tif", 1)]
    [InlineData(".tif", 3)]
    public void SixteenBitRoundTripsExactly(string ext, int channels)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var img = Gradient(7, 11, channels, 65535).Mul(37.0).Remainder(65536).Cast(DType.Int32);
        var path = Path.Combine(dir, "b" + ext);
        ImageIO.Write(path, img);
        var back = ImageIO.Read(path);
        Assert.Equal(DType.Int32, back.DType);
        Assert.Equal(img.ToArray<int>(), back.ToArray<int>());
        var chw = ImageIO.ToChw(back);
        Assert.Equal(new long[] { channels, 7, 11 }, chw.Shape);
        Assert.InRange(chw.Max().Item(), 0.0, 1.0);
    }

    [Fact]
    public void JpegDecodesAsColourOrGray()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var img = Gradient(16, 16, 3, 255).Cast(DType.UInt8);
        var path = Path.Combine(dir, "c.jpg");
        ImageIO.Write(path, img);
        Assert.Equal(new long[] { 16, 16, 3 }, ImageIO.Read(path).Shape);
        Assert.Equal(new long[] { 16, 16, 1 }, ImageIO.Read(path, ImageMode.Gray).Shape);
    }

    [Fact]
    public void ChannelOrderIsRgb()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var red = Tensor.FromArray(new byte[] { 255, 0, 0 }, 1, 1, 3);
        var path = Path.Combine(dir, "red.png");
        ImageIO.Write(path, red);
        Assert.Equal(new byte[] { 255, 0, 0 }, ImageIO.Read(path).ToArray<byte>());
    }

    [Fact]
    public void RealDataImagesDecode()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var root = TestPaths.SharedData;
        var jpg = Directory.EnumerateFiles(Path.Combine(root, "bccd-wbc"), "*.jp*g", SearchOption.AllDirectories).First();
        var t = ImageIO.Read(jpg);
        Assert.Equal(3, t.Shape[2]);
        Assert.True(t.Shape[0] > 100);
    }

    [Fact]
    public void MissingFileNamesTheFile()
    {
        var path = Path.Combine(dir, "nope.png");
        var ex = Assert.Throws<TorchException>(() => ImageIO.Read(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("does not exist", ex.Message);
    }

    [Fact]
    public void CorruptAndNonImageFilesNameTheFile()
    {
        var text = Path.Combine(dir, "notes.png");
        File.WriteAllText(text, "this is not an image");
        var ex = Assert.Throws<TorchException>(() => ImageIO.Read(text));
        Assert.Contains(text, ex.Message);
        Assert.Contains("could not be decoded", ex.Message);

        var empty = Path.Combine(dir, "empty.jpg");
        File.WriteAllBytes(empty, Array.Empty<byte>());
        Assert.Contains("empty", Assert.Throws<TorchException>(() => ImageIO.Read(empty)).Message);
    }

    [Theory]
    [InlineData(".png")]
    [InlineData(".jpg")]
    public void TruncatedFilesAreReported(string ext)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var full = Path.Combine(dir, "full" + ext);
        ImageIO.Write(full, Gradient(32, 32, 3, 255).Cast(DType.UInt8));
        var bytes = File.ReadAllBytes(full);
        var cut = Path.Combine(dir, "cut" + ext);
        File.WriteAllBytes(cut, bytes.AsSpan(0, bytes.Length / 2).ToArray());
        var ex = Assert.Throws<TorchException>(() => ImageIO.Read(cut));
        Assert.Contains(cut, ex.Message);
        Assert.Contains("truncated", ex.Message);
    }

    [Fact]
    public void WritingToAMissingFolderSaysSo()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var path = Path.Combine(dir, "no", "such", "x.png");
        var ex = Assert.Throws<TorchException>(() => ImageIO.Write(path, Factory.Zeros(new long[] { 2, 2, 1 }, DType.UInt8)));
        Assert.Contains("does not exist", ex.Message);
    }
}
