using InSitu.Common;
using InSitu.Data;
using InSitu.Imaging;
using InSitu.Synthesis;

namespace InSitu.Tests.Data;

public class LoaderTests : TempFolderTest
{
    /// <summary>n small images with distinct content, and a manifest with stages.</summary>
    private Manifest MakeImages(int n, int h = 32, int w = 80)
    {
        var rows = new List<ManifestRow>();
        Directory.CreateDirectory(Path.Combine(dir, "img"));
        for (int i = 0; i < n; i++)
        {
            var px = new byte[h * w * 3];
            for (int k = 0; k < px.Length; k++) px[k] = (byte)((k * (i + 3) + i * 17) % 251);
            using var t = Tensor.FromArray(px, h, w, 3);
            var name = $"img/{i:D3}.png";
            ImageIO.Write(Path.Combine(dir, name), t);
            rows.Add(new ManifestRow(name, Stage: 4 + i % 14));
        }
        return new Manifest(rows, dir);
    }

    private static LoaderOptions Small(bool augment) => new()
    {
        Height = 32,
        Width = 80,
        BatchSize = 4,
        Shuffle = true,
        Seed = 7,
        Augment = augment ? new AugmentOptions() : AugmentOptions.None,
    };

    private static List<float[]> Collect(ImageBatchLoader loader, int epoch, out List<long> labels)
    {
        var images = new List<float[]>();
        labels = new List<long>();
        foreach (var batch in loader.Epoch(epoch))
            using (batch)
            {
                images.Add(batch.Images.ToFloatArray());
                labels.AddRange(batch.Labels!.ToLongArray());
            }
        return images;
    }

    [Fact]
    public void BatchesHaveTheModelsShapeAndNormalisedValues()
    {
        var m = MakeImages(10);
        var loader = new ImageBatchLoader(m, Small(false) with { Shuffle = false }, r => r.Stage!.Value - 4);
        var batches = loader.Epoch(0).ToList();
        Assert.Equal(3, batches.Count);
        Assert.Equal(new long[] { 4, 1, 32, 80 }, batches[0].Images.Shape);
        Assert.Equal(new long[] { 2, 1, 32, 80 }, batches[2].Images.Shape);
        Assert.Equal(new long[] { 0, 1, 2, 3 }, batches[0].Labels!.ToLongArray());
        // without augmentation a batch is exactly (grey/255 - mean) / std of the decoded file
        using var gray = ImageIO.Read(m.FullPath(m.Rows[0]), ImageMode.Gray);
        var expected = gray.ToArray<byte>().Select(v => (v / 255f - 0.5f) / 0.25f).ToArray();
        var actual = batches[0].Images.ToFloatArray().Take(32 * 80).ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 4);
        foreach (var b in batches) b.Dispose();
    }

    [Fact]
    public void AnEpochIsTheSameWhateverTheNumberOfWorkers()
    {
        var m = MakeImages(12);
        var one = Collect(new ImageBatchLoader(m, Small(true) with { Prefetch = 1 }, r => r.Stage!.Value), 3, out var l1);
        var many = Collect(new ImageBatchLoader(m, Small(true) with { Prefetch = 6 }, r => r.Stage!.Value), 3, out var l2);
        Assert.Equal(l1, l2);
        for (int i = 0; i < one.Count; i++) Assert.Equal(one[i], many[i]);
        var other = Collect(new ImageBatchLoader(m, Small(true), r => r.Stage!.Value), 4, out var l3);
        Assert.NotEqual(l1, l3); // another epoch, another order
    }

    [Fact]
    public void AugmentationChangesPixelsButKeepsSizeAndRange()
    {
        var image = new float[32 * 80];
        for (int i = 0; i < image.Length; i++) image[i] = (i % 80) / 80f;
        var r = new SeededRandom(1);
        var changed = Augmentation.Apply(image, 1, 32, 80, new AugmentOptions(NoiseSigma: 0, BlurProbability: 0), r);
        Assert.Equal(image.Length, changed.Length);
        Assert.NotEqual(image, changed);
        Assert.All(changed, v => Assert.InRange(v, 0f, 1f)); // bilinear resampling with edge padding stays in range
        // a horizontal flip alone mirrors the ramp exactly
        var flipped = Augmentation.Warp(image, 1, 32, 80, 0, 0, 0, flipX: true, flipY: false);
        Assert.Equal(image[79], flipped[0], 5);
        // a rotation by at most 15 degrees keeps the centre pixel's neighbourhood
        var rotated = Augmentation.Warp(image, 1, 32, 80, 15 * MathF.PI / 180, 0, 0, false, false);
        Assert.Equal(image[16 * 80 + 40], rotated[16 * 80 + 40], 1);
        // none means none
        Assert.Same(image, Augmentation.Apply(image, 1, 32, 80, AugmentOptions.None, r));
    }

    [Fact]
    public void ImagesOfAnotherSizeAreResizedAndBadFilesAreNamed()
    {
        var m = MakeImages(3, h: 64, w: 160);
        using (var b = new ImageBatchLoader(m, Small(false)).Epoch(0).First())
            Assert.Equal(new long[] { 3, 1, 32, 80 }, b.Images.Shape);
        File.WriteAllText(Path.Combine(dir, "img", "001.png"), "not an image");
        var ex = Assert.ThrowsAny<Exception>(() => new ImageBatchLoader(m, Small(false) with { Shuffle = false }).Epoch(0).ToList());
        Assert.Contains("001.png", ex.Message);
        Assert.Throws<ArgumentException>(() => new ImageBatchLoader(m, Small(false) with { Gray = false }));
    }

    [Fact]
    public void StoppingEarlyReleasesThePrefetchedBatches()
    {
        var m = MakeImages(40);
        var loader = new ImageBatchLoader(m, Small(true) with { Prefetch = 3 });
        foreach (var batch in loader.Epoch(0))
        {
            batch.Dispose();
            break;
        }
        // and the loader still serves full epochs afterwards
        Assert.Equal(10, loader.Epoch(1).Select(b => { b.Dispose(); return 1; }).Sum());
    }
}

public class StandardizeTests : TempFolderTest
{
    private static readonly Lazy<BdgpLabelTables> Tables = new(() =>
        BdgpLabelTables.Load(Path.Combine(TestPaths.SharedData, "bdgp-annotations")));

    private static float AngleError(float a, float b) => MathF.Abs(((a - b) % 180 + 270) % 180 - 90);

    [Fact]
    [Trait("Category", "Slow")]
    public void RawPhotosAreStraightenedIncludingTouchingNeighbours()
    {
        // frames as real ones look: pale embryos, neighbours touching the main one or cut by the frame, uneven light
        var options = new SynthOptions(16, Seed: 9, Raw: true, RawWidth: 760, RawHeight: 540);
        var standardizer = new EmbryoStandardizer();
        int ok = 0, touching = 0;
        foreach (var image in DatasetSimulator.Plan(Tables.Value, options))
        {
            var (px, truth) = DatasetSimulator.RenderRaw(image, options, out var mainMask);
            var result = standardizer.Run(px, 760, 540, 3);
            if (!result.Ok) continue;
            ok++;
            if (truth.TouchingNeighbour) touching++;
            Assert.True(AngleError(result.AngleDegrees, truth.Embryo.AngleDegrees) < 4,
                $"image {image.Index}: angle {result.AngleDegrees:F1} vs {truth.Embryo.AngleDegrees:F1}");
            var found = result.Masks!.MainAtPhotoSize(760, 540);
            double iou = (double)found.Zip(mainMask).Count(p => p.First && p.Second) / found.Zip(mainMask).Count(p => p.First || p.Second);
            Assert.True(iou >= 0.9, $"image {image.Index}: the main embryo's mask overlaps the true one by IoU {iou:F3}");
            Assert.Equal(320 * 128 * 3, result.Pixels!.Length);
        }
        Assert.True(ok >= 15, $"only {ok} of 16 standardised");
        Assert.True(touching >= 3, $"only {touching} photos with a touching neighbour were standardised");
    }

    [Fact]
    public void PhotosWithoutAUsableEmbryoAreRefusedWithAReason()
    {
        var standardizer = new EmbryoStandardizer();
        var blank = Enumerable.Repeat((byte)230, 200 * 150 * 3).ToArray();
        var none = standardizer.Run(blank, 200, 150, 3);
        Assert.False(none.Ok);
        Assert.Contains("no embryo", none.Failure);

        byte[] Ellipse(double cx, double rx, double ry)
        {
            var image = (byte[])blank.Clone();
            for (int y = 0; y < 150; y++)
                for (int x = 0; x < 200; x++)
                    if (Math.Pow((x - cx) / rx, 2) + Math.Pow((y - 75) / ry, 2) < 1)
                        for (int c = 0; c < 3; c++) image[(y * 200 + x) * 3 + c] = 120;
            return image;
        }
        // a dark ellipse running off the right edge
        var edge = standardizer.Run(Ellipse(170, 80, 30), 200, 150, 3);
        Assert.False(edge.Ok);
        Assert.Contains("edge", edge.Failure);

        // a round blob has no axis
        Assert.Contains("elongated", standardizer.Run(Ellipse(100, 40, 40), 200, 150, 3).Failure);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void StandardizeCommandWritesImagesAndListsFailures()
    {
        var raw = Path.Combine(dir, "raw");
        var (code, _, _) = CliRunner.Run("synth", "--out", raw, "--raw", "--images", "3", "--seed", "2", "--tables",
            Path.Combine(TestPaths.SharedData, "bdgp-annotations"));
        Assert.Equal(0, code);
        File.WriteAllText(Path.Combine(raw, "images", "broken.jpg"), "truncated");
        var outDir = Path.Combine(dir, "std");
        (code, _, _) = CliRunner.Run("data", "standardize", Path.Combine(raw, "images"), "--out", outDir);
        Assert.Equal(0, code);
        var m = Manifest.Load(Path.Combine(outDir, "manifest.csv"));
        var failures = File.ReadAllLines(Path.Combine(outDir, "failures.csv"));
        Assert.Equal(4, m.Rows.Count + failures.Length - 1);
        Assert.Contains(failures, l => l.Contains("broken.jpg"));
        Assert.All(m.Rows, r =>
        {
            using var img = ImageIO.Read(m.FullPath(r));
            Assert.Equal(new long[] { 128, 320, 3 }, img.Shape);
        });
        // labels travel with the images when the input is a manifest
        (code, _, _) = CliRunner.Run("data", "standardize", Path.Combine(raw, "manifest.csv"), "--out", Path.Combine(dir, "std2"));
        Assert.Equal(0, code);
        Assert.All(Manifest.Load(Path.Combine(dir, "std2", "manifest.csv")).Rows, r => Assert.NotNull(r.Stage));
    }
}

public class FlyExpressImportTests : TempFolderTest
{
    [Fact]
    public void BagsInEverySpellingBecomeManifestRows()
    {
        var images = Path.Combine(dir, "images");
        Directory.CreateDirectory(images);
        var px = new byte[8 * 8 * 3];
        foreach (var name in new[] { "a.jpg", "b.jpg", "c.jpg", "d.jpg" })
        {
            using var t = Tensor.FromArray(px, 8, 8, 3);
            ImageIO.Write(Path.Combine(images, name), t);
        }
        File.WriteAllText(Path.Combine(dir, "terms.txt"), "ventral nerve cord\nembryonic midgut\nmaternal\n");
        File.WriteAllText(Path.Combine(dir, "bags.csv"),
            "gene_stage,labels,imgs\n" +
            "CG1234_3,\"('ventral nerve cord', 'embryonic midgut')\",\"('a.jpg', 'b.jpg')\"\n" +
            "FBgn0001_6,embryonic midgut;maternal,c.jpg;missing.jpg\n" +
            "CG9_1,2 0,d.jpg\n");
        var result = FlyExpressBagImporter.Import(Path.Combine(dir, "bags.csv"), images, dir, Path.Combine(dir, "terms.txt"));
        Assert.Equal(3, result.Bags);
        Assert.Equal(5, result.ImagesInTable);
        Assert.Equal(1, result.Missing);
        var rows = result.Manifest.Rows;
        Assert.Equal(4, rows.Count);
        Assert.Equal(new[] { "ventral nerve cord", "embryonic midgut" }, rows[0].Terms);
        Assert.Equal(3, rows[0].Range);
        Assert.Equal("CG1234_3", rows[0].Bag);
        Assert.Equal("FBgn0001", rows[2].Gene);
        Assert.Equal(new[] { "maternal", "ventral nerve cord" }, rows[3].Terms);

        File.WriteAllText(Path.Combine(dir, "bad.csv"), "gene_stage,labels,imgs\nCG1234,x,a.jpg\n");
        var ex = Assert.Throws<InvalidDataException>(() => FlyExpressBagImporter.Import(Path.Combine(dir, "bad.csv"), images, dir));
        Assert.Contains("bad.csv:2", ex.Message);
        File.WriteAllText(Path.Combine(dir, "bad2.csv"), "gene_stage,labels,imgs\nCG1_2,7,a.jpg\n");
        Assert.Contains("vocabulary", Assert.Throws<InvalidDataException>(() =>
            FlyExpressBagImporter.Import(Path.Combine(dir, "bad2.csv"), images, dir, Path.Combine(dir, "terms.txt"))).Message);

        File.WriteAllText(Path.Combine(dir, "bad3.csv"), "gene_stage,labels,imgs\nCG1_2,ventral nerve chord,a.jpg\n");
        Assert.Contains("unknown term 'ventral nerve chord'", Assert.Throws<InvalidDataException>(() =>
            FlyExpressBagImporter.Import(Path.Combine(dir, "bad3.csv"), images, dir, Path.Combine(dir, "terms.txt"))).Message);

        var (code, _, _) = CliRunner.Run("data", "import", images, "--flyexpress", Path.Combine(dir, "bags.csv"), "--terms",
            Path.Combine(dir, "terms.txt"), "--out", Path.Combine(dir, "m.csv"));
        Assert.Equal(0, code);
        Assert.Equal(4, Manifest.Load(Path.Combine(dir, "m.csv")).Rows.Count);
    }
}
