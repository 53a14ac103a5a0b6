using System.Text.Json;
using InSitu.Common;
using InSitu.Imaging;
using InSitu.Synthesis.Realism;

namespace InSitu.Tests.Synthesis;

/// <summary>A fact that runs only where ../shared/data/bdgp-raw-photos is present, and is reported as skipped elsewhere.</summary>
public sealed class RealPhotosFactAttribute : FactAttribute
{
    public static string? Folder
    {
        get
        {
            try
            {
                var folder = Path.Combine(TestPaths.SharedData, "bdgp-raw-photos");
                return Directory.Exists(folder) ? folder : null;
            }
            catch (DirectoryNotFoundException)
            {
                return null;
            }
        }
    }

    public RealPhotosFactAttribute()
    {
        if (Folder is null) Skip = "../shared/data/bdgp-raw-photos is not present";
    }
}

public class RealismTests : TempFolderTest
{
    /// <summary>A w x h picture: <paramref name="value"/>(x, y) grey, embryo where <paramref name="inside"/>(x, y).</summary>
    private static MaskedPicture Make(int w, int h, Func<int, int, double> value, Func<int, int, bool> inside, string name = "p")
    {
        var px = new byte[w * h * 3];
        var mask = new bool[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                byte v = (byte)Math.Clamp((int)Math.Round(value(x, y)), 0, 255);
                px[(y * w + x) * 3] = px[(y * w + x) * 3 + 1] = px[(y * w + x) * 3 + 2] = v;
                mask[y * w + x] = inside(x, y);
            }
        return new MaskedPicture(name, new Picture(px, w, h), mask);
    }

    private static Func<int, int, double> NoiseTexture(ulong seed, double amplitude)
    {
        var r = new SeededRandom(seed);
        var field = Enumerable.Range(0, 128 * 128).Select(_ => (double)r.Normal()).ToArray();
        return (x, y) => 128 + amplitude * field[y * 128 + x];
    }

    [Fact]
    public void ColourDistanceIsZeroForTheSameColoursAndTheShiftInGreyLevels()
    {
        bool Centre(int x, int y) => x >= 8 && x < 56 && y >= 8 && y < 24;
        var a = Make(64, 32, (x, y) => Centre(x, y) ? 100 : 230, Centre);
        var b = Make(64, 32, (x, y) => Centre(x, y) ? 110 : 230, Centre);
        var embryoA = ColourHistograms.Of(new[] { a }, Region.Embryo);
        Assert.Equal(0, ColourHistograms.EarthMovers(embryoA[0], ColourHistograms.Of(new[] { a }, Region.Embryo)[0]));
        var embryoB = ColourHistograms.Of(new[] { b }, Region.Embryo);
        for (int c = 0; c < 3; c++) Assert.Equal(10, ColourHistograms.EarthMovers(embryoA[c], embryoB[c]), 9);
        Assert.Equal(0, ColourHistograms.EarthMovers(ColourHistograms.Of(new[] { a }, Region.Background)[1],
            ColourHistograms.Of(new[] { b }, Region.Background)[1]), 9);
        // half the pixels 20 levels off moves the histogram by 10 on average
        var half = Make(64, 32, (x, y) => Centre(x, y) ? (x < 32 ? 100 : 120) : 230, Centre);
        Assert.Equal(10, ColourHistograms.EarthMovers(embryoA[2], ColourHistograms.Of(new[] { half }, Region.Embryo)[2]), 9);
    }

    [Fact]
    public void SpectrumDistanceIsZeroForTheSameTextureAndLog10OfFourForTwiceTheContrast()
    {
        bool Inside(int x, int y) => x >= 4 && x < 124 && y >= 4 && y < 124;
        var texture = NoiseTexture(3, 12);
        var a = Make(128, 128, texture, Inside);
        var doubled = Make(128, 128, (x, y) => 128 + 2 * (texture(x, y) - 128), Inside);
        var sa = TextureSpectrum.Of(new[] { a }, 32);
        Assert.Equal(0, TextureSpectrum.Distance(sa, TextureSpectrum.Of(new[] { a }, 32)));
        Assert.Equal(Math.Log10(4), TextureSpectrum.Distance(sa, TextureSpectrum.Of(new[] { doubled }, 32)), 2);
        // white noise has a flat spectrum, a smooth picture none at high frequencies
        var smooth = Make(128, 128, (x, y) => 128 + 20 * Math.Sin(x / 9.0), Inside);
        var ss = TextureSpectrum.Of(new[] { smooth }, 32);
        Assert.True(sa[15] / sa[3] > 0.5 && ss[15] / ss[3] < 0.02, $"noise {sa[15] / sa[3]:G3}, smooth {ss[15] / ss[3]:G3}");
    }

    [Fact]
    public void EdgeProfilePeaksAtADrawnOutlineAndIsFlatForAFlatPicture()
    {
        bool Left(int x, int y) => x < 32;
        var step = Make(64, 16, (x, y) => Left(x, y) ? 100 : 240, Left);
        var flat = Make(64, 16, (x, y) => 200, Left);
        var bins = new DistanceBins(-4, 1, 8);
        var profile = EdgeProfile.Of(new[] { step }, bins);
        // Sobel / 8 across a step of 140 levels is 70 on both pixels beside it, 0 elsewhere
        Assert.Equal(new double[] { 0, 0, 0, 70, 70, 0, 0, 0 }, profile);
        Assert.Equal(0, EdgeProfile.Distance(profile, EdgeProfile.Of(new[] { step }, bins)));
        Assert.Equal(140.0 / 8, EdgeProfile.Distance(profile, EdgeProfile.Of(new[] { flat }, bins)), 9);
    }

    [Fact]
    public void APatchClassifierCannotTellASetFromItselfButTellsNoiseFromSmoothPictures()
    {
        bool All(int x, int y) => true;
        var noisy = Enumerable.Range(0, 4).Select(i => Make(128, 128, NoiseTexture((ulong)i, 15), All, $"n{i}")).ToList();
        var same = PatchDiscriminator.Auc(noisy, noisy, 16, 120, seed: 1);
        Assert.Equal(0.5, same.Auc, 9);
        Assert.Equal(4, same.Folds);
        var smooth = Enumerable.Range(0, 4)
            .Select(i => Make(128, 128, (x, y) => 110 + 30 * Math.Sin(x / (7.0 + i)), All, $"s{i}")).ToList();
        var different = PatchDiscriminator.Auc(noisy, smooth, 16, 120, seed: 1);
        Assert.True(different.Auc > 0.95, $"AUC {different.Auc:F3}");
        Assert.Equal(240, different.Labels.Length);
    }

    [Fact]
    public void AMaskedPhotoBecomesAStandardViewFillingTheFrame()
    {
        // an embryo (dark ellipse, 300 x 100) turned by 30 degrees in a 500 x 400 photo
        double a = Math.PI / 6, ca = Math.Cos(a), sa = Math.Sin(a);
        bool Inside(int x, int y)
        {
            double dx = x - 250, dy = y - 200, u = dx * ca + dy * sa, v = -dx * sa + dy * ca;
            return u * u / (150.0 * 150) + v * v / (50.0 * 50) <= 1;
        }
        var photo = Make(500, 400, (x, y) => Inside(x, y) ? 90 : 220, Inside);
        var view = MaskedStandardView.Of(photo);
        Assert.Equal((320, 128), (view.Width, view.Height));
        double share = view.Embryo.Count(b => b) / (double)view.Embryo.Length;
        Assert.InRange(share, Math.PI / 4 - 0.03, Math.PI / 4 + 0.03); // an ellipse filling its box
        Assert.True(view.Embryo[64 * 320 + 2] && view.Embryo[64 * 320 + 317] && view.Embryo[1 * 320 + 160] && view.Embryo[126 * 320 + 160],
            "the embryo does not reach every side");
        Assert.Equal(255, view.Picture.Pixels[0]);
        Assert.InRange((int)view.Picture.Pixels[(64 * 320 + 160) * 3], 88, 92);
    }

    [Fact]
    public void RealPhotosPairWithTheirMasksByName()
    {
        var px = Enumerable.Repeat((byte)200, 40 * 30 * 3).ToArray();
        var maskPx = Enumerable.Repeat((byte)255, 40 * 30 * 3).ToArray();
        for (int i = 0; i < 40 * 30 / 2 * 3; i++) maskPx[i] = 0;
        foreach (var name in new[] { "photo1.png", "b.png", "c.png" }) new Picture(px, 40, 30).Save(Path.Combine(dir, name));
        foreach (var name in new[] { "mask1.png", "b_mask.png" }) new Picture(maskPx, 40, 30).Save(Path.Combine(dir, name));
        var set = RealPhotoSet.Load(dir);
        Assert.Equal(new[] { "b.png", "photo1.png" }, set.Photos.Select(p => p.Name));
        Assert.Equal(new[] { "c.png" }, set.Unmasked.Select(Path.GetFileName));
        Assert.Equal(600, set.Photos[0].Embryo.Count(b => b)); // the dark upper half

        new Picture(new byte[20 * 30 * 3], 20, 30).Save(Path.Combine(dir, "mask1.png"));
        var e = Assert.Throws<ArgumentException>(() => RealPhotoSet.Load(dir));
        Assert.Contains("mask1.png' is 20x30 but its photo", e.Message);
        var empty = Directory.CreateDirectory(Path.Combine(dir, "none")).FullName;
        new Picture(px, 40, 30).Save(Path.Combine(empty, "x.png"));
        Assert.Contains("holds no photo with a mask", Assert.Throws<ArgumentException>(() => RealPhotoSet.Load(empty)).Message);
    }

    [RealPhotosFact]
    [Trait("Category", "Slow")]
    public void RealismCommandComparesSimulatedWithRealPhotos()
    {
        var outDir = Path.Combine(dir, "realism");
        var tables = Path.Combine(TestPaths.SharedData, "bdgp-annotations");
        var (code, _, _) = CliRunner.Run("synth", "--realism", RealPhotosFactAttribute.Folder!, "--count", "2", "--out", outDir,
            "--tables", tables);
        Assert.Equal(0, code);
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "metrics.json")));
        foreach (var view in new[] { "raw", "standard" })
        {
            var v = metrics.RootElement.GetProperty(view);
            Assert.Equal(2, v.GetProperty("simulated_images").GetInt32());
            Assert.Equal(3, v.GetProperty("real_images").GetInt32());
            Assert.InRange(v.GetProperty("patch_auc").GetDouble(), 0, 1);
            Assert.True(v.GetProperty("embryo_colour_emd").GetProperty("mean").GetDouble() > 0);
            Assert.True(v.GetProperty("texture_spectrum_distance").GetDouble() > 0);
        }
        var html = File.ReadAllText(Path.Combine(outDir, "report.html"));
        Assert.Contains("<svg", html);
        Assert.Contains("images/real_standard_000.png", html);
        Assert.True(File.Exists(Path.Combine(outDir, "images", "sim_raw_000.png")));
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "config.json")));
        Assert.Equal("photo4.jpg", config.RootElement.GetProperty("unmasked_photos_not_used")[0].GetString());

        Assert.Equal("error: --count is only used with --realism; use --images",
            CliRunner.Fails(1, CliRunner.Run("synth", "--out", outDir, "--count", "3", "--tables", tables)));
        Assert.StartsWith($"error: real photo folder '{Path.Combine(dir, "nowhere")}' does not exist",
            CliRunner.Fails(1, CliRunner.Run("synth", "--realism", Path.Combine(dir, "nowhere"), "--out", outDir, "--tables", tables)));
    }

    [RealPhotosFact]
    [Trait("Category", "Slow")]
    public void RealismCommandMeasuresAFolderOfImagesInsteadOfRendering()
    {
        // the real photos themselves, in the layout bench/realism/SimExport writes: every distance to real is zero
        var sim = Path.Combine(dir, "sim");
        Directory.CreateDirectory(Path.Combine(sim, "raw"));
        Directory.CreateDirectory(Path.Combine(sim, "standard"));
        static Picture MaskPicture(bool[] embryo, int w, int h) =>
            new(embryo.SelectMany(e => Enumerable.Repeat(e ? (byte)0 : (byte)255, 3)).ToArray(), w, h);
        var real = RealPhotoSet.Load(RealPhotosFactAttribute.Folder!).Photos;
        for (int i = 0; i < real.Count; i++)
        {
            File.Copy(Path.Combine(RealPhotosFactAttribute.Folder!, real[i].Name), Path.Combine(sim, "raw", $"{i:D3}.jpg"));
            MaskPicture(real[i].Embryo, real[i].Width, real[i].Height).Save(Path.Combine(sim, "raw", $"{i:D3}_mask.png"));
            var standard = MaskedStandardView.Of(real[i], 320, 128);
            standard.Picture.Save(Path.Combine(sim, "standard", $"{i:D3}.png"));
            MaskPicture(standard.Embryo, 320, 128).Save(Path.Combine(sim, "standard", $"{i:D3}_mask.png"));
        }
        var outDir = Path.Combine(dir, "realism");
        var tables = Path.Combine(TestPaths.SharedData, "bdgp-annotations");
        var (code, _, _) = CliRunner.Run("synth", "--realism", RealPhotosFactAttribute.Folder!, "--simulated", sim, "--out", outDir,
            "--tables", tables);
        Assert.Equal(0, code);
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "metrics.json")));
        foreach (var view in new[] { "raw", "standard" })
        {
            var v = metrics.RootElement.GetProperty(view);
            Assert.Equal(real.Count, v.GetProperty("simulated_images").GetInt32());
            Assert.Equal(0, v.GetProperty("background_colour_emd").GetProperty("mean").GetDouble(), 6);
            Assert.Equal(0, v.GetProperty("embryo_colour_emd").GetProperty("mean").GetDouble(), 6);
            Assert.Equal(0, v.GetProperty("texture_spectrum_distance").GetDouble(), 6);
            Assert.Equal(0, v.GetProperty("edge_profile_distance").GetDouble(), 6);
        }
        File.Delete(Path.Combine(sim, "standard", "001_mask.png"));
        Assert.Contains("has no mask", CliRunner.Fails(1, CliRunner.Run("synth", "--realism", RealPhotosFactAttribute.Folder!,
            "--simulated", sim, "--out", outDir, "--tables", tables)));
        Assert.Equal("error: --simulated is only used with --realism",
            CliRunner.Fails(1, CliRunner.Run("synth", "--out", outDir, "--simulated", sim, "--tables", tables)));
    }
}
