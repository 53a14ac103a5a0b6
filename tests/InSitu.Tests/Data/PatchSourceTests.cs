using InSitu.Data;

namespace InSitu.Tests.Data;

public class PatchSourceTests : TempFolderTest
{
    private const int Ignore = 255;

    /// <summary>Classes 0..3 by position, with stripes left unlabelled.</summary>
    private static int Label(int y, int x) => (x / 7 + y / 5) % 3 == 0 ? Ignore : (x + 2 * y) % 4;

    /// <summary>Two images that encode their pixels' coordinates (blue tells them apart), with masks.</summary>
    private List<PatchPair> Pairs(Func<int, int, int>? label = null)
    {
        var pairs = new List<PatchPair>();
        foreach (var (name, h, w, blue) in new[] { ("a", 40, 60, (byte)10), ("b", 30, 20, (byte)20) })
        {
            var image = Path.Combine(dir, "image", name + ".png");
            var mask = Path.Combine(dir, "mask", name + ".png");
            SourceTestData.WriteCoordinates(image, h, w, blue);
            SourceTestData.WriteMask(mask, h, w, label ?? Label);
            pairs.Add(new PatchPair(image, mask));
        }
        return pairs;
    }

    private static readonly AugmentOptions FlipsOnly =
        new(MaxRotationDegrees: 0, CropPadding: 0, BlurProbability: 0, MaxBlurSigma: 0, NoiseSigma: 0);

    /// <summary>Unnormalised RGB patches of 12 x 16, so a value times 255 is the byte in the file.</summary>
    private static LoaderOptions Options(AugmentOptions? augment = null, int prefetch = 2) => new()
    {
        Height = 12,
        Width = 16,
        Gray = false,
        Mean = new[] { 0f, 0, 0 },
        Std = new[] { 1f, 1, 1 },
        BatchSize = 5,
        Seed = 4,
        Prefetch = prefetch,
        Augment = augment ?? AugmentOptions.None,
    };

    /// <summary>The file coordinates (y, x) and blue value of patch n's pixel (py, px).</summary>
    private static (int Y, int X, int Blue) Where(float[] images, int n, int py, int px, int h = 12, int w = 16)
    {
        int At(int c) => (int)MathF.Round(images[((n * 3 + c) * h + py) * w + px] * 255);
        return (At(1), At(0), At(2));
    }

    [Fact]
    public void RandomPatchesKeepTheirMaskAlignedAndTheIgnoreValue()
    {
        var patches = new PatchOptions { PatchesPerEpoch = 60, RequireLabelled = false, IgnoreValue = Ignore };
        var source = new PatchBatchSource(Pairs(), Options(FlipsOnly), patches);
        Assert.Equal(60, source.Count);
        Assert.Equal(12, source.BatchesPerEpoch);
        int flippedX = 0, flippedY = 0, ignored = 0, labelled = 0;
        var fromPair = new int[2];
        foreach (var batch in source.Epoch(0))
            using (batch)
            {
                Assert.Equal(new long[] { 5, 3, 12, 16 }, batch.Images.Shape);
                Assert.Equal(new long[] { 5, 12, 16 }, batch.Masks!.Shape);
                var images = batch.Images.ToFloatArray();
                var masks = batch.Masks.ToLongArray();
                for (int n = 0; n < 5; n++)
                {
                    fromPair[batch.Pairs[n]]++;
                    for (int py = 0; py < 12; py++)
                        for (int px = 0; px < 16; px++)
                        {
                            var (y, x, blue) = Where(images, n, py, px);
                            Assert.Equal(batch.Pairs[n] == 0 ? 10 : 20, blue);
                            Assert.Equal(Label(y, x), masks[(n * 12 + py) * 16 + px]);
                            if (masks[(n * 12 + py) * 16 + px] == Ignore) ignored++;
                            else labelled++;
                        }
                    // the origin is the patch's top-left in the file, whichever way it was flipped
                    var corners = new[] { Where(images, n, 0, 0), Where(images, n, 11, 15) };
                    Assert.Equal(batch.Origins[n], (corners.Min(c => c.Y), corners.Min(c => c.X)));
                    if (corners[0].X > corners[1].X) flippedX++;
                    if (corners[0].Y > corners[1].Y) flippedY++;
                }
            }
        Assert.True(ignored > 0 && labelled > 0);
        Assert.InRange(flippedX, 10, 50);
        Assert.InRange(flippedY, 10, 50);
        Assert.True(fromPair[0] > fromPair[1], "the larger image has more positions, so more patches"); // 29 x 45 vs 19 x 5
    }

    [Fact]
    public void OnlyPatchesWithALabelledPixelAreDrawnWhenAsked()
    {
        // a mostly unlabelled mask: a 2 x 2 block at rows 30-31, columns 45-46 of the large image
        static int Sparse(int y, int x) => y is 30 or 31 && x is 45 or 46 ? 1 : Ignore;
        var pairs = Pairs(Sparse);
        var options = new PatchOptions { PatchesPerEpoch = 200, IgnoreValue = Ignore };
        var source = new PatchBatchSource(pairs, Options() with { BatchSize = 50 }, options);
        var origins = new HashSet<(int, int)>();
        foreach (var batch in source.Epoch(1))
            using (batch)
            {
                var masks = batch.Masks!.ToLongArray();
                for (int n = 0; n < 50; n++)
                {
                    Assert.Equal(0, batch.Pairs[n]); // the other mask has no label at all
                    Assert.Contains(1L, masks.Skip(n * 12 * 16).Take(12 * 16));
                    var (y, x) = batch.Origins[n];
                    Assert.InRange(y, 19, 28);
                    Assert.InRange(x, 30, 44);
                    origins.Add((y, x));
                }
            }
        Assert.True(origins.Count > 90, $"only {origins.Count} of the 150 allowed positions drawn in 200 patches");

        var anywhere = new PatchBatchSource(pairs, Options() with { BatchSize = 50 }, options with { RequireLabelled = false });
        using var first = anywhere.Epoch(1).First();
        Assert.Contains(Enumerable.Range(0, 50), n => first.Masks!.ToLongArray().Skip(n * 12 * 16).Take(12 * 16).All(v => v == Ignore));
        var none = Pairs((_, _) => Ignore);
        var unlabelled = Assert.Throws<InvalidDataException>(() => new PatchBatchSource(none, Options(), options));
        Assert.Contains("no mask has a labelled pixel", unlabelled.Message);
    }

    [Fact]
    public void TilesCoverEveryPixel()
    {
        var pairs = Pairs();
        var tiles = new PatchOptions { Mode = PatchMode.Tiles, TileOverlap = 4, IgnoreValue = Ignore };
        var source = new PatchBatchSource(pairs, Options(), tiles);
        Assert.Equal(5 * 5 + 4 * 2, source.Count);
        Assert.Equal((30, 20), source.ImageSize(1));
        var covered = new HashSet<(int, int, int)>();
        var epoch = SourceTestData.Contents(source, 0);
        foreach (var batch in source.Epoch(0))
            using (batch)
            {
                var images = batch.Images.ToFloatArray();
                var masks = batch.Masks!.ToLongArray();
                for (int n = 0; n < batch.Pairs.Length; n++)
                    for (int py = 0; py < 12; py++)
                        for (int px = 0; px < 16; px++)
                        {
                            var (y, x, _) = Where(images, n, py, px);
                            Assert.Equal((batch.Origins[n].Y + py, batch.Origins[n].X + px), (y, x));
                            Assert.Equal(Label(y, x), masks[(n * 12 + py) * 16 + px]);
                            covered.Add((batch.Pairs[n], y, x));
                        }
            }
        Assert.Equal(40 * 60 + 30 * 20, covered.Count);
        Assert.True(SourceTestData.Same(epoch, SourceTestData.Contents(source, 7)), "tiles are the same every epoch");

        // images alone can be tiled for prediction
        var imagesOnly = new PatchBatchSource(pairs.Select(p => p with { Mask = null }).ToList(), Options(), tiles);
        using var unlabelled = imagesOnly.Epoch(0).First();
        Assert.Null(unlabelled.Masks);
        Assert.Throws<ArgumentException>(() => new PatchBatchSource(pairs, Options(FlipsOnly), tiles));
    }

    [Fact]
    public void RescaledMasksTakeTheNearestLabelNeverAMixture()
    {
        static int Classes(int y, int x) => (x / 3 + y / 2) % 3 == 0 ? Ignore : (x + y) % 3;
        var source = new PatchBatchSource(Pairs(Classes), Options() with { Height = 8, Width = 8 },
            new PatchOptions { Mode = PatchMode.Tiles, Scale = 0.5f, IgnoreValue = Ignore });
        Assert.Equal((20, 30), source.ImageSize(0));
        foreach (var batch in source.Epoch(0))
            using (batch)
            {
                var images = batch.Images.ToFloatArray();
                var masks = batch.Masks!.ToLongArray();
                for (int n = 0; n < batch.Pairs.Length; n++)
                    for (int py = 0; py < 8; py++)
                        for (int px = 0; px < 8; px++)
                        {
                            // a pixel averages the 2 x 2 block from (2Y, 2X); its label is the one under its centre, (2Y + 1, 2X + 1)
                            var (y, x, _) = Where(images, n, py, px, 8, 8);
                            Assert.Equal(Classes(y / 2 * 2 + 1, x / 2 * 2 + 1), masks[(n * 8 + py) * 8 + px]);
                        }
            }
    }

    [Fact]
    public void AnEpochIsTheSameWhateverTheNumberOfWorkers()
    {
        var pairs = Pairs();
        var augment = FlipsOnly with { BlurProbability = 0.5f, MaxBlurSigma = 1, NoiseSigma = 0.05f };
        PatchBatchSource Source(int prefetch) =>
            new(pairs, Options(augment, prefetch), new PatchOptions { PatchesPerEpoch = 23 }, new DecodedImageCache());
        var one = SourceTestData.Contents(Source(1), 2);
        var six = SourceTestData.Contents(Source(6), 2);
        Assert.True(SourceTestData.Same(one, six));
        Assert.False(SourceTestData.Same(one, SourceTestData.Contents(Source(6), 3)));
    }

    [Fact]
    public void BadPairsAreAOneLineErrorNamingTheFile()
    {
        var pairs = Pairs();
        var options = new PatchOptions { PatchesPerEpoch = 10 };
        string Error(IReadOnlyList<PatchPair> bad)
        {
            var message = Assert.ThrowsAny<Exception>(() => new PatchBatchSource(bad, Options(), options)).Message;
            Assert.DoesNotContain('\n', message);
            return message;
        }
        SourceTestData.WriteMask(Path.Combine(dir, "narrow.png"), 30, 19, (_, _) => 1);
        var narrow = Path.Combine(dir, "narrow.png");
        Assert.Contains("narrow.png' is 19x30 but its image", Error(new[] { pairs[0], pairs[1] with { Mask = narrow } }));
        Assert.Contains("gone.png' does not exist", Error(new[] { pairs[0] with { Image = Path.Combine(dir, "gone.png") } }));
        var noMask = Path.Combine(dir, "nomask.png");
        Assert.Contains($"mask '{noMask}' (of image", Error(new[] { pairs[1] with { Mask = noMask } }));
        SourceTestData.WriteCoordinates(Path.Combine(dir, "small.png"), 10, 20);
        SourceTestData.WriteMask(Path.Combine(dir, "small-mask.png"), 10, 20, (_, _) => 1);
        Assert.Contains("small.png' is 20x10, smaller than the 16x12 patches",
            Error(new[] { pairs[0], new PatchPair(Path.Combine(dir, "small.png"), Path.Combine(dir, "small-mask.png")) }));
        Assert.Contains("single-channel", Error(new[] { pairs[0] with { Mask = pairs[1].Image } }));
        Assert.Throws<ArgumentException>(() => new PatchBatchSource(new[] { pairs[0], pairs[1] with { Mask = null } }, Options(), options));
        Assert.Throws<ArgumentException>(() => new PatchBatchSource(pairs, Options(new AugmentOptions()), options));
    }

    [Fact]
    public void ImaginalDiscPatchesHaveTheirThreeClasses()
    {
        var data = Path.Combine(TestPaths.SharedData, "imaginal-discs");
        var pairs = PatchPair.FromFolders(Path.Combine(data, "image"), Path.Combine(data, "segm"));
        Assert.Equal(10, pairs.Count);
        var options = new LoaderOptions
        {
            Height = 64,
            Width = 64,
            Gray = false,
            Mean = new[] { 0.5f, 0.5f, 0.5f },
            Std = new[] { 0.25f, 0.25f, 0.25f },
            BatchSize = 16,
            Augment = FlipsOnly,
        };
        var cache = new DecodedImageCache();
        var source = new PatchBatchSource(pairs, options, new PatchOptions { PatchesPerEpoch = 64, Scale = 0.5f }, cache);
        Assert.Equal(10, cache.Images);
        var classes = new HashSet<long>();
        foreach (var batch in source.Epoch(0))
            using (batch)
            {
                Assert.Equal(new long[] { 16, 3, 64, 64 }, batch.Images.Shape);
                classes.UnionWith(batch.Masks!.ToLongArray());
            }
        Assert.Equal(new long[] { 0, 1, 2 }, classes.Order());
        var tiles = new PatchBatchSource(pairs, options with { Augment = AugmentOptions.None },
            new PatchOptions { Mode = PatchMode.Tiles, Scale = 0.5f });
        Assert.Equal(10 * 4 * 5, tiles.Count); // 300 x 225: columns from 0, 64, 128, 192, 236; rows from 0, 64, 128, 161
    }
}
