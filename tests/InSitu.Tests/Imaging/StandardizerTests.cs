using InSitu.Common;
using InSitu.Imaging;
using InSitu.Torch;
using Xunit.Abstractions;

namespace InSitu.Tests.Imaging;

/// <summary>The raw-photo standardiser on the real BDGP photos and on shapes whose answer is known.</summary>
public class StandardizerTests(ITestOutputHelper output) : TempFolderTest
{
    private static string RealFolder => Path.Combine(TestPaths.SharedData, "bdgp-raw-photos");

    private static (byte[] pixels, int width, int height) Read(string path)
    {
        using var img = ImageIO.ReadRgb8(path);
        return (img.ToArray<byte>(), (int)img.Shape[1], (int)img.Shape[0]);
    }

    /// <summary>A hand-drawn mask: dark (below 128) is the main embryo.</summary>
    private static bool[] ReadMask(string path)
    {
        var (px, w, h) = Read(path);
        var mask = new bool[w * h];
        for (int i = 0; i < mask.Length; i++) mask[i] = px[3 * i] + px[3 * i + 1] + px[3 * i + 2] < 3 * 128;
        return mask;
    }

    private static double Iou(bool[] a, bool[] b)
    {
        long both = 0, either = 0;
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i] && b[i]) both++;
            if (a[i] || b[i]) either++;
        }
        return (double)both / either;
    }

    private static float AngleError(float a, float b) => MathF.Abs(((a - b) % 180 + 270) % 180 - 90);

    /// <summary>Share of the output that is not the white surround, and whether the embryo reaches all four sides.</summary>
    private static (double share, bool allSides) Filling(StandardizeResult r)
    {
        bool Embryo(int x, int y) => Enumerable.Range(0, 3).Any(c => r.Pixels![(y * r.Width + x) * 3 + c] != 255);
        int n = 0;
        for (int y = 0; y < r.Height; y++)
            for (int x = 0; x < r.Width; x++)
                if (Embryo(x, y)) n++;
        bool sides = Enumerable.Range(0, r.Height).Any(y => Embryo(0, y)) && Enumerable.Range(0, r.Height).Any(y => Embryo(r.Width - 1, y))
            && Enumerable.Range(0, r.Width).Any(x => Embryo(x, 0)) && Enumerable.Range(0, r.Width).Any(x => Embryo(x, r.Height - 1));
        return ((double)n / (r.Width * r.Height), sides);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void RealPhotosMatchTheirHandDrawnMasks()
    {
        var standardizer = new EmbryoStandardizer();
        for (int k = 1; k <= 3; k++)
        {
            var (px, w, h) = Read(Path.Combine(RealFolder, $"photo{k}.jpg"));
            var truth = ReadMask(Path.Combine(RealFolder, $"mask{k}.png"));
            var result = standardizer.Run(px, w, h, 3);
            Assert.True(result.Ok, $"photo{k}: refused: {result.Failure}");
            double iou = Iou(result.Masks!.MainAtPhotoSize(w, h), truth);
            Assert.True(iou >= 0.9, $"photo{k}: the main embryo's mask overlaps the hand-drawn one by IoU {iou:F3}");
            float axis = EmbryoAxis.Of(truth, w, h)!.AngleDegrees;
            Assert.True(AngleError(result.AngleDegrees, axis) <= 5,
                $"photo{k}: major axis at {result.AngleDegrees:F1} degrees, the mask's at {axis:F1}");
            var (share, sides) = Filling(result);
            output.WriteLine($"photo{k}: IoU {iou:F3}, axis {result.AngleDegrees:F2} vs {axis:F2} degrees " +
                $"(error {AngleError(result.AngleDegrees, axis):F2}), fills {share:P1} of the output");
            Assert.True(share > 0.75 && sides, $"photo{k}: the embryo fills {share:P0} of the output (all sides: {sides})");
        }
        // the fourth: strongly stained, tilted, a neighbour cut by the frame
        var (px4, w4, h4) = Read(Path.Combine(RealFolder, "photo4.jpg"));
        var fourth = standardizer.Run(px4, w4, h4, 3);
        Assert.True(fourth.Ok, $"photo4: refused: {fourth.Failure}");
        Assert.InRange(fourth.Elongation, 2f, 3.2f); // the embryo alone, not merged with its neighbour
        Assert.True(Filling(fourth).share > 0.75);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void StandardizeCommandWritesDebugPicturesOfRealPhotos()
    {
        var raw = Directory.CreateDirectory(Path.Combine(dir, "raw")).FullName;
        File.Copy(Path.Combine(RealFolder, "photo2.jpg"), Path.Combine(raw, "touching.jpg"));
        File.Copy(Path.Combine(RealFolder, "photo4.jpg"), Path.Combine(raw, "stained.jpg"));
        using (var blank = Tensor.FromArray(Enumerable.Repeat((byte)228, 300 * 200 * 3).ToArray(), 200, 300, 3))
            ImageIO.Write(Path.Combine(raw, "empty.png"), blank);
        var outDir = Path.Combine(dir, "std");
        var debug = Path.Combine(dir, "debug");
        var (code, _, _) = CliRunner.Run("data", "standardize", raw, "--out", outDir, "--debug", debug);
        Assert.Equal(0, code);
        var failures = File.ReadAllLines(Path.Combine(outDir, "failures.csv"));
        Assert.Equal(2, failures.Length);
        Assert.Contains("empty.png", failures[1]);
        Assert.Contains("no embryo found", failures[1]);
        Assert.Equal(2, Directory.GetFiles(Path.Combine(outDir, "images")).Length);

        var photos = File.ReadAllLines(Path.Combine(debug, "photos.csv"));
        Assert.Equal(4, photos.Length);
        Assert.Equal(2, photos.Count(l => l.Contains(",standardized,")));
        foreach (var name in new[] { "touching", "stained" })
        {
            var overlay = Directory.GetFiles(debug, $"*_{name}.png").Single();
            var (px, w, h) = Read(overlay);
            Assert.True(w >= 400, "the overlay shows the photo at its work size");
            int red = 0;
            for (int i = 0; i < w * h; i++) if (px[3 * i] == 230 && px[3 * i + 1] == 0 && px[3 * i + 2] == 0) red++;
            Assert.True(red > 2 * (w + h) / 2, $"{name}: the main embryo's outline is drawn ({red} red pixels)");
        }
    }

    /// <summary>A mask of ellipses (centre, half-axes, angle in degrees) on a w x h grid.</summary>
    private static bool[] Ellipses(int w, int h, params (double cx, double cy, double a, double b, double angle)[] shapes)
    {
        var mask = new bool[w * h];
        foreach (var (cx, cy, a, b, angle) in shapes)
        {
            double c = Math.Cos(angle * Math.PI / 180), s = Math.Sin(angle * Math.PI / 180);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    double u = ((x - cx) * c + (y - cy) * s) / a, v = (-(x - cx) * s + (y - cy) * c) / b;
                    if (u * u + v * v <= 1) mask[y * w + x] = true;
                }
        }
        return mask;
    }

    private static (int[] labels, int count) Separate(bool[] mask, int w, int h)
    {
        var (labels, count) = TouchingSplit.Split(mask, w, h);
        ContactCut.Refine(labels, w, h);
        count = ContactCut.SplitAtCorners(labels, count, w, h);
        int bodies = labels.Where(l => l > 0).Distinct().Count();
        Assert.Equal(count, bodies);
        return (labels, count);
    }

    [Fact]
    public void OneEmbryoIsNeverCut()
    {
        const int w = 400, h = 280;
        var shapes = new List<(string name, bool[] mask)>
        {
            ("ellipse", Ellipses(w, h, (200, 140, 150, 60, 20))),
            ("egg", Ellipses(w, h, (180, 140, 110, 62, 0), (240, 140, 110, 54, 0))),
            ("capsule", Ellipses(w, h, (150, 140, 60, 60, 0), (250, 140, 60, 60, 0), (200, 140, 100, 60, 0))),
        };
        // bent, as late embryos are: a thick arc with round ends
        var bent = Ellipses(w, h, (200 + 340 * Math.Sin(0.45), 420 - 340 * Math.Cos(0.45), 55, 55, 0),
            (200 - 340 * Math.Sin(0.45), 420 - 340 * Math.Cos(0.45), 55, 55, 0));
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double dx = x - 200, dy = y - 420, r = Math.Sqrt(dx * dx + dy * dy), a = Math.Atan2(dx, -dy);
                if (Math.Abs(r - 340) <= 55 && Math.Abs(a) <= 0.45) bent[y * w + x] = true;
            }
        shapes.Add(("bent", bent));
        // with shallow furrows on both sides
        var furrowed = Ellipses(w, h, (200, 140, 150, 60, 0));
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if (Math.Abs(x - 150) < 4 && Math.Abs(y - 140) > 52) furrowed[y * w + x] = false;
        shapes.Add(("furrowed", furrowed));
        foreach (var (name, mask) in shapes) Assert.True(Separate(mask, w, h).count == 1, $"{name} was cut");

        // and the hand-drawn outlines of the real embryos, at the standardiser's working scale
        for (int k = 1; k <= 3; k++)
        {
            var full = ReadMask(Path.Combine(RealFolder, $"mask{k}.png"));
            const int block = 3, fw = 1520, fh = 1080, sw = fw / block, sh = fh / block;
            var small = new bool[sw * sh];
            for (int y = 0; y < sh; y++)
                for (int x = 0; x < sw; x++) small[y * sw + x] = full[(y * block + 1) * fw + x * block + 1];
            Assert.True(Separate(small, sw, sh).count == 1, $"mask{k} was cut");
        }
    }

    [Fact]
    public void TouchingEmbryosComeApartAlongTheirContact()
    {
        const int w = 500, h = 420;
        var cases = new (string name, (double, double, double, double, double)[] embryos)[]
        {
            ("end to side", new[] { (200.0, 110.0, 150.0, 58.0, 0.0), (244.0, 288.0, 130.0, 52.0, 70.0) }),
            ("side by side along a long contact", new[] { (250.0, 120.0, 160.0, 62.0, 0.0), (230.0, 238.0, 150.0, 58.0, -8.0) }),
            ("a chain of three",
                new[] { (153.0, 180.0, 100.0, 45.0, 0.0), (290.0, 180.0, 85.0, 40.0, 90.0), (420.0, 180.0, 95.0, 42.0, 0.0) }),
        };
        foreach (var (name, embryos) in cases)
        {
            var (labels, count) = Separate(Ellipses(w, h, embryos), w, h);
            Assert.True(count == embryos.Length, $"{name}: {count} bodies");
            foreach (var embryo in embryos)
            {
                var truth = Ellipses(w, h, embryo);
                double best = Enumerable.Range(1, count).Max(b => Iou(labels.Select(l => l == b).ToArray(), truth));
                Assert.True(best >= 0.9, $"{name}: the embryo at ({embryo.Item1}, {embryo.Item2}) is matched by IoU {best:F3}");
            }
        }
    }

    /// <summary>A photo of a light, noisy, unevenly lit background with an embryo that is no darker than it, only grainy: a
    /// pixel-fine relief whose 2x2 means are the background's, so that only its texture shows it.</summary>
    private static byte[] PaleEmbryo(int w, int h, int channels, out bool[] truth)
    {
        var r = new SeededRandom(5);
        truth = Ellipses(w, h, (w * 0.52, h * 0.48, w * 0.34, h * 0.2, 12));
        var px = new byte[w * h * channels];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double light = 215 + 20.0 * x / w - 12.0 * y / h, v = light + 2 * r.Normal();
                if (truth[y * w + x]) v += (x + y) % 2 == 0 ? 14 : -14;
                for (int c = 0; c < channels; c++)
                    px[(y * w + x) * channels + c] = (byte)Math.Clamp(Math.Round(v * (c == 2 ? 1.02 : 1)), 0, 255);
            }
        return px;
    }

    [Fact]
    public void AnEmbryoAsLightAsTheBackgroundIsFoundByItsTexture()
    {
        foreach (int channels in new[] { 3, 1 })
        {
            var px = PaleEmbryo(600, 400, channels, out var truth);
            var result = new EmbryoStandardizer().Run(px, 600, 400, channels);
            Assert.True(result.Ok, $"{channels} channel(s): refused: {result.Failure}");
            Assert.True(Iou(result.Masks!.MainAtPhotoSize(600, 400), truth) >= 0.9);
            Assert.True(AngleError(result.AngleDegrees, 12) < 2, $"angle {result.AngleDegrees:F1}");
            Assert.Equal(320 * 128 * channels, result.Pixels!.Length);
        }
    }
}
