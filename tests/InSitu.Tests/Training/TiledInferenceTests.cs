using InSitu.Imaging;
using InSitu.Models;
using InSitu.Torch.NN;
using InSitu.Training;

namespace InSitu.Tests.Training;

/// <summary>Blended tiles give the whole-image result, stream with bounded memory, and resized rows match OpenCV.</summary>
public class TiledInferenceTests
{
    private static UNet Net(int depth)
    {
        TorchRuntime.ManualSeed(11);
        var net = new UNet(new UNetConfig(1, 3, depth, 4, 1, 0));
        using (Autograd.NoGrad())
            foreach (var m in net.NamedModules().Select(m => m.module).OfType<BatchNorm2d>())
            {
                // fresh batch norms are near the identity; random statistics make them matter
                m.RunningMean.Copy_(Factory.Randn(m.RunningMean.Shape).Mul(0.2));
                m.RunningVar.Copy_(Factory.Rand(m.RunningVar.Shape).Add(0.5));
            }
        net.Eval();
        return net;
    }

    [Fact]
    public void TiledEqualsUntiledAwayFromTheImageBorder()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        using var net = Net(depth: 2);
        int radius = net.Config.ReceptiveRadius;
        const int h = 136, w = 168;
        var r = new Random(3);
        var pixels = Enumerable.Range(0, h * w).Select(_ => (byte)r.Next(256)).ToArray();
        var image = new TileSourceImage(pixels, h, w, 1);
        float[] mean = [0.5f], std = [0.25f];
        var options = new TileOptions { TileSize = 96, Margin = radius, Blend = 8, Alignment = net.Config.Alignment, BatchSize = 3 };
        using var noGrad = Autograd.NoGrad();
        var tiled = new float[3 * h * w];
        int next = 0;
        var stats = TiledInference.Run(image, mean, std, options, 3, x => net.Forward(x).Softmax(1), (y, row) =>
        {
            Assert.Equal(next++, y);
            for (int k = 0; k < 3; k++) Array.Copy(row, k * w, tiled, (k * h + y) * w, w);
        });
        Assert.Equal(h, next);
        Assert.True(stats.Tiles > 4, $"the image was cut into only {stats.Tiles} tiles");
        var whole = new float[h * w];
        image.Cut(0, 0, h, w, mean, std, whole, 0);
        var untiled = net.Forward(Tensor.FromArray(whole, 1, 1, h, w)).Softmax(1).ToFloatArray();
        double worst = 0;
        for (int k = 0; k < 3; k++)
            for (int y = radius; y < h - radius; y++)
                for (int x = radius; x < w - radius; x++)
                    worst = Math.Max(worst, Math.Abs(tiled[(k * h + y) * w + x] - untiled[(k * h + y) * w + x]));
        Assert.True(worst < 1e-4, $"tiled and untiled differ by {worst}");
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void A3840x2920ImageStreamsWithABandOfTilesNotWholeImageMaps()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        const int h = 2920, w = 3840, planes = 2;
        var pixels = new byte[h * w];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                pixels[y * w + x] = (byte)((x * 7 + y * 13 + (x * y >> 5)) & 255);
        var image = new TileSourceImage(pixels, h, w, 1);
        // a fixed 3x3 filter and its negative, through a softmax: cheap, with context at every pixel
        var kernel = Enumerable.Range(0, 9).Select(i => (i - 4) / 10f).ToArray();
        var weight = Tensor.FromArray(kernel.Concat(kernel.Select(v => -v)).ToArray(), 2, 1, 3, 3);
        var options = new TileOptions { TileSize = 256, Margin = 8, Blend = 8, BatchSize = 4 };
        int rows = 0;
        var probe = new Dictionary<(int, int), float>();
        using var noGrad = Autograd.NoGrad();
        var stats = TiledInference.Run(image, [0f], [1f], options, planes,
            x => F.Conv2d(x, weight, padding: new long[] { 1, 1 }).Softmax(1), (y, row) =>
            {
                Assert.Equal(rows++, y);
                Assert.Equal(planes * w, row.Length);
                if (y % 997 == 500) probe[(y, 1234)] = row[1234];
            });
        Assert.Equal(h, rows);
        long wholeMaps = 4L * planes * h * w;
        Assert.True(stats.BandBytes + stats.TileBatchBytes < wholeMaps / 5,
            $"held {stats.BandBytes + stats.TileBatchBytes} bytes against {wholeMaps} for whole-image maps");
        foreach (var ((y, x), value) in probe)
        {
            double a = 0;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++)
                    a += kernel[(dy + 1) * 3 + dx + 1] * (pixels[(y + dy) * w + x + dx] / 255.0);
            Assert.Equal(1 / (1 + Math.Exp(-2 * a)), value, 4);
        }
    }

    [Theory]
    [InlineData(37, 23, 80, 51)]
    [InlineData(80, 51, 37, 23)]
    [InlineData(40, 30, 40, 30)]
    public void StreamedRowsResizeAsOpenCvDoes(int sh, int sw, int dh, int dw)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var r = new Random(5);
        var src = Enumerable.Range(0, sh * sw).Select(_ => (float)r.NextDouble()).ToArray();
        var expected = ImageIO.Resize(Tensor.FromArray(src, sh, sw, 1), dh, dw, interpolation: 1).ToFloatArray();
        var got = new float[dh * dw];
        int next = 0;
        var resampler = new RowResampler(sh, sw, dh, dw, 1, (y, row) =>
        {
            Assert.Equal(next++, y);
            Array.Copy(row, 0, got, y * dw, dw);
        });
        for (int y = 0; y < sh; y++) resampler.Push(y, src.AsSpan(y * sw, sw).ToArray());
        Assert.Equal(dh, next);
        for (int i = 0; i < got.Length; i++) Assert.True(Math.Abs(expected[i] - got[i]) < 1e-5,
            $"pixel {i}: {got[i]}, OpenCV {expected[i]}");
    }
}
