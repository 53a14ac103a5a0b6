using InSitu.Data;

namespace InSitu.Tests.Data;

public class MultiLabelSourceTests : TempFolderTest
{
    private static readonly string[][] RowTerms =
    {
        new[] { "midgut" }, new[] { "brain", "midgut" }, Array.Empty<string>(), new[] { "hindgut" }, new[] { "brain" },
        new[] { "hindgut", "midgut", "brain" }, new[] { "midgut" },
    };

    private Manifest Images()
    {
        var rows = new List<ManifestRow>();
        for (int i = 0; i < RowTerms.Length; i++)
        {
            SourceTestData.WriteDistinct(Path.Combine(dir, $"{i}.png"), i, 16, 24);
            rows.Add(new ManifestRow($"{i}.png", Stage: 5 + i, Terms: RowTerms[i].Length == 0 ? null : RowTerms[i]));
        }
        return new Manifest(rows, dir);
    }

    private static LoaderOptions Options(int prefetch = 2) => new()
    {
        Height = 16,
        Width = 24,
        BatchSize = 3,
        Shuffle = true,
        Seed = 3,
        Augment = new AugmentOptions(),
        Prefetch = prefetch,
    };

    [Fact]
    public void TermsBecomeMultiHotTargetsBesideTheClassLabels()
    {
        var m = Images();
        var vocabulary = new TermVocabulary(new[] { "midgut", "hindgut", "brain", "salivary gland" });
        var loader = new ImageBatchLoader(m, Options(), r => r.Stage!.Value, targets: vocabulary.MultiHot);
        int seen = 0;
        foreach (var batch in loader.Epoch(1))
            using (batch)
            {
                Assert.Equal(new long[] { batch.Rows.Length, 4 }, batch.Targets!.Shape);
                var targets = batch.Targets.ToFloatArray();
                var labels = batch.Labels!.ToLongArray();
                for (int i = 0; i < batch.Rows.Length; i++)
                {
                    // served shuffled: each target row is its own image's terms
                    var terms = RowTerms[batch.Rows[i]];
                    var expected = new[] { "midgut", "hindgut", "brain", "salivary gland" }.Select(t => terms.Contains(t) ? 1f : 0f);
                    Assert.Equal(expected, targets.Skip(i * 4).Take(4));
                    Assert.Equal(5 + batch.Rows[i], labels[i]);
                }
                seen += batch.Rows.Length;
            }
        Assert.Equal(RowTerms.Length, seen);

        // any function of the row gives targets, and a loader without them has none
        var byStage = new ImageBatchLoader(m, Options() with { Shuffle = false }, targets: r => new[] { r.Stage!.Value / 10f, 1 });
        using var custom = byStage.Epoch(0).First();
        Assert.Equal(new[] { 0.5f, 1, 0.6f, 1, 0.7f, 1 }, custom.Targets!.ToFloatArray());
        Assert.Null(custom.Labels);
        using var none = new ImageBatchLoader(m, Options(), r => 0).Epoch(0).First();
        Assert.Null(none.Targets);
    }

    [Fact]
    public void AnEpochOfTargetsIsTheSameWhateverTheNumberOfWorkers()
    {
        var m = Images();
        var vocabulary = TermVocabulary.FromRows(m.Rows);
        Assert.Equal(new[] { "brain", "hindgut", "midgut" }, vocabulary.Terms);
        var one = SourceTestData.Contents(new ImageBatchLoader(m, Options(1), targets: vocabulary.MultiHot), 2);
        var six = SourceTestData.Contents(new ImageBatchLoader(m, Options(6), targets: vocabulary.MultiHot), 2);
        Assert.True(SourceTestData.Same(one, six));
        var later = SourceTestData.Contents(new ImageBatchLoader(m, Options(6), targets: vocabulary.MultiHot), 3);
        Assert.False(SourceTestData.Same(one, later));
    }

    [Fact]
    public void ATermOutsideTheVocabularyOrTargetsOfAnotherLengthNameTheRow()
    {
        var m = Images();
        var vocabulary = new TermVocabulary(new[] { "midgut", "brain" });
        var ex = Assert.Throws<InvalidDataException>(() => new ImageBatchLoader(m, Options(), targets: vocabulary.MultiHot));
        Assert.Equal("manifest row '3.png': term 'hindgut' is not in the vocabulary of 2 terms", ex.Message);
        ex = Assert.Throws<InvalidDataException>(() => new ImageBatchLoader(m, Options(), targets: r => new float[r.Terms?.Count ?? 0]));
        Assert.Contains("'1.png' has 2 targets", ex.Message);
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => new TermVocabulary(new[] { "brain", "brain" })).Message);
        File.WriteAllText(Path.Combine(dir, "terms.txt"), "midgut\n\nbrain\n");
        Assert.Equal(new[] { "midgut", "brain" }, TermVocabulary.Load(Path.Combine(dir, "terms.txt")).Terms);
    }
}
