using InSitu.Data;

namespace InSitu.Tests.Data;

public class BagSourceTests : TempFolderTest
{
    // bag, terms of each of its images: a bag's target is the union
    private static readonly (string Bag, string[] Terms)[] Images =
    {
        ("g1", new[] { "brain" }), ("g2", new[] { "midgut" }), ("g1", new[] { "midgut" }), ("g3", Array.Empty<string>()),
        ("g1", new[] { "brain" }), ("g4", new[] { "hindgut" }), ("g4", new[] { "hindgut", "brain" }), ("g2", new[] { "midgut" }),
        ("g5", new[] { "brain" }), ("g5", new[] { "brain" }), ("g5", new[] { "midgut" }), ("g5", new[] { "brain" }),
        ("g5", new[] { "brain" }), ("g5", new[] { "brain" }),
    };

    private static readonly TermVocabulary Vocabulary = new(new[] { "brain", "midgut", "hindgut" });

    private Manifest Bags()
    {
        var rows = new List<ManifestRow>();
        for (int i = 0; i < Images.Length; i++)
        {
            SourceTestData.WriteDistinct(Path.Combine(dir, $"{i:D2}.png"), i, 16, 24);
            rows.Add(new ManifestRow($"{i:D2}.png", Terms: Images[i].Terms, Bag: Images[i].Bag));
        }
        return new Manifest(rows, dir);
    }

    private static LoaderOptions Options(bool augment = true, bool shuffle = true, int prefetch = 2) => new()
    {
        Height = 16,
        Width = 24,
        BatchSize = 2,
        Shuffle = shuffle,
        Seed = 11,
        Prefetch = prefetch,
        Augment = augment ? new AugmentOptions() : AugmentOptions.None,
    };

    [Fact]
    public void BagsArePackedWithOffsetsLengthsAndTheUnionOfTheirTerms()
    {
        var m = Bags();
        var source = new BagBatchSource(m, Options(augment: false, shuffle: false), Vocabulary.MultiHotUnion);
        Assert.Equal(5, source.Count);
        Assert.Equal(3, source.BatchesPerEpoch);
        var plain = new ImageBatchLoader(m, Options(augment: false, shuffle: false) with { BatchSize = Images.Length });
        using var all = plain.Epoch(0).Single();
        var batches = source.Epoch(0).ToList();
        // first appearance orders the bags; each bag's images keep manifest order
        Assert.Equal(new[] { "g1", "g2" }, batches[0].BagIds);
        Assert.Equal(new[] { 0, 2, 4, 1, 7 }, batches[0].Rows);
        Assert.Equal(new long[] { 5, 1, 16, 24 }, batches[0].Images.Shape);
        Assert.Equal(new long[] { 0, 3 }, batches[0].Offsets.ToLongArray());
        Assert.Equal(new long[] { 3, 2 }, batches[0].Lengths.ToLongArray());
        Assert.Equal(new float[] { 1, 1, 0, 0, 1, 0 }, batches[0].Targets!.ToFloatArray());
        Assert.Equal(new[] { "g5" }, batches[2].BagIds);
        Assert.Equal(new float[] { 1, 1, 0 }, batches[2].Targets!.ToFloatArray());
        Assert.Equal(new float[] { 0, 0, 0, 1, 0, 1 }, batches[1].Targets!.ToFloatArray()); // g3 has no terms
        // without augmentation a packed image is exactly the image loader's image of that row
        var images = batches[0].Images.ToFloatArray();
        var pixels = all.Images.ToFloatArray();
        for (int k = 0; k < 5; k++)
            Assert.Equal(pixels.Skip(batches[0].Rows[k] * 16 * 24).Take(16 * 24), images.Skip(k * 16 * 24).Take(16 * 24));
        foreach (var b in batches) b.Dispose();
    }

    [Fact]
    public void ShuffledSubsampledBagsServeOnlyTheirOwnRows()
    {
        var m = Bags();
        var source = new BagBatchSource(m, Options(augment: false), Vocabulary.MultiHotUnion, maxInstances: 2);
        var plain = new ImageBatchLoader(m, Options(augment: false, shuffle: false) with { BatchSize = Images.Length });
        using var all = plain.Epoch(0).Single();
        var pixels = all.Images.ToFloatArray();
        var subsets = new HashSet<string>();
        for (int epoch = 0; epoch < 6; epoch++)
            foreach (var batch in source.Epoch(epoch))
                using (batch)
                {
                    var offsets = batch.Offsets.ToLongArray();
                    var lengths = batch.Lengths.ToLongArray();
                    var images = batch.Images.ToFloatArray();
                    for (int b = 0; b < batch.Bags; b++)
                    {
                        var bag = batch.BagIds[b];
                        Assert.Equal(Math.Min(2, Images.Count(i => i.Bag == bag)), lengths[b]);
                        var rows = batch.Rows.Skip((int)offsets[b]).Take((int)lengths[b]).ToArray();
                        Assert.All(rows, r => Assert.Equal(bag, Images[r].Bag));
                        Assert.Equal(rows.Order(), rows);
                        foreach (var (r, k) in rows.Select((r, k) => (r, (int)offsets[b] + k)))
                            Assert.Equal(pixels.Skip(r * 16 * 24).Take(16 * 24), images.Skip(k * 16 * 24).Take(16 * 24));
                        if (bag == "g5") subsets.Add(string.Join(",", rows));
                        // the target is the whole bag's, whichever instances were served
                        if (bag == "g5") Assert.Equal(new float[] { 1, 1, 0 }, batch.Targets!.ToFloatArray().Skip(b * 3).Take(3));
                    }
                }
        Assert.True(subsets.Count >= 3, $"bag g5 served only {subsets.Count} subsets of 2 in 6 epochs");
        static string Plan(BagBatchSource s, int epoch) =>
            string.Join(" ", s.Plan(epoch).Select(p => $"{p.Bag}:{string.Join(",", p.Rows)}"));
        Assert.Equal(Plan(source, 4), Plan(source, 4));
        Assert.NotEqual(Plan(source, 4), Plan(source, 5));
    }

    [Fact]
    public void AnEpochIsTheSameWhateverTheNumberOfWorkers()
    {
        var m = Bags();
        BagBatchSource Source(int prefetch) => new(m, Options(prefetch: prefetch), Vocabulary.MultiHotUnion, maxInstances: 3);
        var one = SourceTestData.Contents(Source(1), 5);
        var six = SourceTestData.Contents(Source(6), 5);
        Assert.True(SourceTestData.Same(one, six));
        Assert.False(SourceTestData.Same(one, SourceTestData.Contents(Source(6), 6)));
    }

    [Fact]
    public void RowsWithoutABagAndMissingFilesAreNamed()
    {
        var m = Bags();
        m.Rows[3] = m.Rows[3] with { Bag = null };
        var ex = Assert.Throws<InvalidDataException>(() => new BagBatchSource(m, Options()));
        Assert.Equal("manifest row '03.png' has no bag; bag sources need the bag column", ex.Message);
        m.Rows[3] = m.Rows[3] with { Bag = "g3" };
        File.Delete(Path.Combine(dir, "05.png"));
        var missing = Assert.ThrowsAny<Exception>(() => new BagBatchSource(m, Options(shuffle: false)).Epoch(0).ToList());
        Assert.Contains("05.png' does not exist", missing.Message);
        Assert.DoesNotContain('\n', missing.Message);
        Assert.Throws<ArgumentException>(() => new BagBatchSource(m, Options(), maxInstances: 0));
    }
}
