using InSitu.Data;
using InSitu.Workflows.Bags;

namespace InSitu.Tests.Workflows.Bags;

/// <summary>
/// How a manifest becomes bags, and every bad input of the issue: an empty bag, unreadable images (skipped, reported, the
/// bag kept while any image remains), a label index out of range, an unknown term, a bag longer than the maximum.
/// </summary>
public class BagSetTests : TempFolderTest
{
    private static readonly BagConfig Config = BagConfig.Demo with { Height = 40, Width = 120 };

    private Manifest Three(params string[] terms) => Manifest.Load(BagFiles.Write(dir, new[]
    {
        ("g1_2", 2, terms[0], (string?)null), ("g1_2", 2, terms[0], null), ("g2_5", 5, terms[1], null),
    }));

    [Fact]
    public void RowsGroupIntoBagsWithTheUnionOfTheirTermsAndTheirRange()
    {
        var file = BagFiles.Write(dir, new[]
        {
            ("a_2", 2, "x;y", (string?)"train"), ("a_2", 2, "y;z", "train"), ("b_6", 6, "", "test"),
        });
        var set = BagSet.Load(Manifest.Load(file), Config, null, new DecodedImageCache());
        Assert.Equal(new[] { "a_2", "b_6" }, set.Bags.Select(b => b.Id));
        Assert.Equal(new[] { "x", "y", "z" }, set.Bags[0].Terms);
        Assert.Equal(2, set.Bags[0].Rows.Length);
        Assert.Equal(6, set.Bags[1].Range);
        Assert.Equal("test", set.Bags[1].Split);
        Assert.Empty(set.SkippedImages);
    }

    [Fact]
    public void UnreadableImagesAreSkippedAndReportedAndAnEmptiedBagIsDropped()
    {
        var m = Three("x", "y");
        File.WriteAllText(Path.Combine(dir, "img0.png"), "not an image");
        File.Delete(Path.Combine(dir, "img2.png"));
        var set = BagSet.Load(m, Config, null, new DecodedImageCache());
        var bag = Assert.Single(set.Bags);
        Assert.Equal("g1_2", bag.Id);
        Assert.Single(bag.Rows); // kept with its one readable image
        Assert.Equal(2, set.SkippedImages.Count);
        Assert.Contains(set.SkippedImages, s => s.Path.EndsWith("img0.png", StringComparison.Ordinal));
        var dropped = Assert.Single(set.DroppedBags);
        Assert.Equal("g2_5", dropped.Bag);
        Assert.Contains("none of its 1 image(s) could be read", dropped.Reason);

        // the report lists both, and a manifest with no readable image at all is an error naming one
        var failures = BagRun.WriteFailures(new InSitu.Reports.RunDirectory(Path.Combine(dir, "run")), set);
        var text = File.ReadAllText(failures);
        Assert.Contains("img0.png", text);
        Assert.Contains("bag:g2_5", text);
        File.WriteAllText(Path.Combine(dir, "img1.png"), "");
        var error = Assert.Throws<InvalidDataException>(() => BagSet.Load(m, Config, null, new DecodedImageCache()));
        Assert.Contains("no bag has a readable image", error.Message);
        Assert.Contains("img", error.Message);
    }

    [Fact]
    public void NumericLabelsNameVocabularyTermsAndOneOutOfRangeIsAnErrorNamingTheLine()
    {
        var vocabulary = new TermVocabulary(new[] { "x", "y", "z" });
        var set = BagSet.Load(Three("2", "x;0"), Config, vocabulary, new DecodedImageCache());
        Assert.Equal(new[] { "z" }, set.Bags[0].Terms);
        Assert.Equal(new[] { "x" }, set.Bags[1].Terms);
        var error = Assert.Throws<InvalidDataException>(() => BagSet.Load(Three("3", "x"), Config, vocabulary, new DecodedImageCache()));
        Assert.Contains("manifest.csv:2", error.Message);
        Assert.Contains("label 3 is outside the vocabulary's 3 terms (indices 0..2)", error.Message);
    }

    [Fact]
    public void AnUnknownTermIsAnErrorNamingTheLineAndTheTerm()
    {
        var vocabulary = new TermVocabulary(new[] { "x", "y" });
        var error = Assert.Throws<InvalidDataException>(() =>
            BagSet.Load(Three("x", "y;embryonic midgutt"), Config, vocabulary, new DecodedImageCache()));
        Assert.Contains("manifest.csv:4", error.Message);
        Assert.Contains("unknown term 'embryonic midgutt'", error.Message);
    }

    [Fact]
    public void ALongBagIsSplitIntoPartsOrRefused()
    {
        var images = Enumerable.Range(0, 7).Select(i => ("long_3", 3, "x", (string?)null)).Append(("short_3", 3, "y", null)).ToList();
        var m = Manifest.Load(BagFiles.Write(dir, images));
        var set = BagSet.Load(m, Config with { MaxBagSize = 3 }, null, new DecodedImageCache());
        Assert.Equal(new[] { "long_3#1", "long_3#2", "long_3#3", "short_3" }, set.Bags.Select(b => b.Id));
        Assert.Equal(new[] { 3, 2, 2, 1 }, set.Bags.Select(b => b.Rows.Length));
        Assert.All(set.Bags.Take(3), b => Assert.Equal("long_3", b.Source));
        Assert.Equal(1, set.SplitBags);
        var error = Assert.Throws<InvalidDataException>(() =>
            BagSet.Load(m, Config with { MaxBagSize = 3, LongBags = LongBagPolicy.Refuse }, null, new DecodedImageCache()));
        Assert.Contains("bag 'long_3' has 7 images, more than the maximum of 3", error.Message);
    }

    [Fact]
    public void RowsWithoutABagOrMixingRangesOrSplitsAreErrors()
    {
        File.WriteAllText(Path.Combine(dir, "m1.csv"), "path,terms\nimg0.png,x\n");
        var e1 = Assert.Throws<InvalidDataException>(() =>
            BagSet.Load(Manifest.Load(Path.Combine(dir, "m1.csv")), Config, null, new DecodedImageCache()));
        Assert.Contains("m1.csv:2", e1.Message);
        Assert.Contains("has no bag", e1.Message);
        var mixed = Manifest.Load(BagFiles.Write(dir, new[] { ("a_2", 2, "x", (string?)null), ("a_2", 3, "x", null) }));
        var e2 = Assert.Throws<InvalidDataException>(() => BagSet.Load(mixed, Config, null, new DecodedImageCache()));
        Assert.Contains("bag 'a_2' mixes stage ranges '2'", e2.Message);
        var split = Manifest.Load(BagFiles.Write(dir, new[] { ("a_2", 2, "x", (string?)"train"), ("a_2", 2, "x", "test") }));
        Assert.Contains("mixes splits", Assert.Throws<InvalidDataException>(() =>
            BagSet.Load(split, Config, null, new DecodedImageCache())).Message);
    }

    [Fact]
    public void AttributesAreTheMostFrequentTrainingTermsAndMasksComeFromTheirRanges()
    {
        BagRecord Bag(string id, int? range, params string[] terms) => new(id, id, null, range, "train", new[] { 0 }, terms);
        var training = new[] { Bag("a", 1, "m", "u"), Bag("b", 1, "u"), Bag("c", 6, "u", "gut"), Bag("d", 6, "gut") };
        var attributes = AttributeSet.Choose(training, 2, null);
        Assert.Equal(new[] { "u", "gut" }, attributes.Terms);
        Assert.Equal(new[] { 1f, 0f }, attributes.Mask(1, useMasks: true)); // no gut in range 1-3
        Assert.Equal(new[] { 1f, 1f }, attributes.Mask(6, useMasks: true));
        Assert.Equal(new[] { 1f, 1f }, attributes.Mask(3, useMasks: true)); // no training bag in range 7-8: nothing ruled out
        Assert.Equal(new[] { 1f, 1f }, attributes.Mask(1, useMasks: false));
        Assert.Equal(new[] { 1f, 1f }, attributes.Mask(null, useMasks: true));
        Assert.Equal(new[] { 0f, 1f }, attributes.Target(Bag("e", 6, "gut", "other")));
        var vocabulary = AttributeSet.Choose(training, 2, new TermVocabulary(new[] { "m", "zz" }));
        Assert.Equal(new[] { "m", "zz" }, vocabulary.Terms);
        Assert.Throws<InvalidDataException>(() => AttributeSet.Choose(new[] { Bag("x", 1) }, 3, null));
    }
}
