using InSitu.Data;
using InSitu.Torch;

namespace InSitu.Tests.Data;

public class DataTests : TempFolderTest
{
    [Fact]
    public void ImportsTheRealOvaryAndBloodCellFolders()
    {
        var ovary = ImageFolderImporter.Import(Path.Combine(TestPaths.SharedData, "ovary-stages"), dir);
        Assert.Empty(ovary.Skipped);
        var s = ManifestStats.Of(ovary.Manifest);
        Assert.Equal(50, s.Images);
        Assert.Equal(30, s.ByLabel["stage-2"]);
        Assert.Equal(20, s.ByLabel["stage-3"]);

        var wbc = ImageFolderImporter.Import(Path.Combine(TestPaths.SharedData, "bccd-wbc"), dir);
        var w = ManifestStats.Of(wbc.Manifest);
        Assert.Equal(351, w.Images + wbc.Skipped.Count);
        Assert.Equal(new[] { "Basophil", "Eosinophil", "Lymphocyte", "Monocyte", "Neutrophil" }, wbc.Classes);
        Assert.Equal(207, w.ByLabel["Neutrophil"]);
        Assert.Equal(3, w.ByLabel["Basophil"]);

        // The written manifest reads back with paths that resolve to the real files.
        var file = Path.Combine(dir, "wbc.csv");
        wbc.Manifest.Save(file);
        var back = Manifest.Load(file);
        Assert.Equal(w.Images, back.Rows.Count);
        Assert.True(File.Exists(back.FullPath(back.Rows[0])));
    }

    [Fact]
    public void UnreadableImagesAreReportedAndSkipped()
    {
        var cls = Directory.CreateDirectory(Path.Combine(dir, "tree", "a")).FullName;
        using (var scope = TorchRuntime.NewDisposeScope())
            ImageIO.Write(Path.Combine(cls, "good.png"), Factory.Zeros(new long[] { 4, 4, 1 }, DType.UInt8));
        File.WriteAllText(Path.Combine(cls, "bad.png"), "not an image");
        var r = ImageFolderImporter.Import(Path.Combine(dir, "tree"), dir);
        Assert.Single(r.Manifest.Rows);
        Assert.Single(r.Skipped);
        Assert.EndsWith("bad.png", r.Skipped[0].path);
        Assert.Contains("could not be decoded", r.Skipped[0].reason);
    }

    [Fact]
    public void AFolderWithoutClassFoldersIsExplained()
    {
        var ex = Assert.Throws<InvalidDataException>(() => ImageFolderImporter.Import(dir, dir));
        Assert.Contains("one folder per class", ex.Message);
    }

    [Fact]
    public void RoundTripKeepsAllColumnsIncludingAwkwardText()
    {
        var rows = new[]
        {
            new ManifestRow("img/a.png", "x", 9, 4, "gene,with comma", "lateral",
                new[] { "ventral ectoderm primordium", "say \"hi\"" }, "g_4", "train"),
            new ManifestRow("img/b.png", Range: 2),
        };
        var file = Path.Combine(dir, "m.csv");
        new Manifest(rows, dir).Save(file);
        var back = Manifest.Load(file).Rows;
        Assert.Equal(rows[0] with { Terms = null }, back[0] with { Terms = null });
        Assert.Equal(rows[0].Terms, back[0].Terms);
        Assert.Equal(2, back[1].Range);
        Assert.Null(back[1].Stage);
    }

    [Fact]
    public void PreciseStageImpliesItsRange()
    {
        var file = Path.Combine(dir, "s.csv");
        File.WriteAllText(file, "path,stage\na.png,11\nb.png,5\n");
        var rows = Manifest.Load(file).Rows;
        Assert.Equal(5, rows[0].Range);
        Assert.Equal(2, rows[1].Range);
    }

    [Theory]
    [InlineData("path,stage\na.png,19\n", ":2:", "stage '19' is not a whole number in 1..17")]
    [InlineData("path,range\na.png,x\n", ":2:", "range 'x'")]
    [InlineData("path,stage,range\na.png,9,5\n", ":2:", "stage 9 lies in range 4 (9-10), not in range 5")]
    [InlineData("path\na.png\nb.png\na.png\n", ":4:", "duplicate path 'a.png' (first on line 2)")]
    [InlineData("label,stage\nx,3\n", ":1:", "no 'path' column")]
    [InlineData("path,colour\na.png,red\n", ":1:", "unknown column 'colour'")]
    [InlineData("path,label\na.png,x,extra\n", ":2:", "3 fields, but the header has 2")]
    [InlineData("path,view\na.png,sideways\n", ":2:", "view 'sideways'")]
    [InlineData("path,split\na.png,holdout\n", ":2:", "split 'holdout'")]
    public void BadManifestsNameFileAndLine(string text, string line, string message)
    {
        var file = Path.Combine(dir, "bad.csv");
        File.WriteAllText(file, text);
        var ex = Assert.Throws<InvalidDataException>(() => Manifest.Load(file));
        Assert.Contains(file + line, ex.Message);
        Assert.Contains(message, ex.Message);
    }

    [Fact]
    public void CommandsImportSummariseAndRejectBadInput()
    {
        var outFile = Path.Combine(dir, "ovary.csv");
        Assert.Equal(0,
            InSitu.Cli.Cli.Build()
            .Parse(new[] { "data", "import", Path.Combine(TestPaths.SharedData, "ovary-stages"), "--out", outFile }).Invoke());
        Assert.Equal(51, File.ReadAllLines(outFile).Length);
        Assert.Equal(0, InSitu.Cli.Cli.Build().Parse(new[] { "data", "stats", outFile }).Invoke());
        var bad = Path.Combine(dir, "bad.csv");
        File.WriteAllText(bad, "path,stage\na.png,40\n");
        Assert.Equal(1, InSitu.Cli.Cli.Build().Parse(new[] { "data", "stats", bad }).Invoke());
        Assert.Equal(1, InSitu.Cli.Cli.Build().Parse(new[] { "data", "stats", Path.Combine(dir, "missing.csv") }).Invoke());
    }
}

public class BdgpImportTests : TempFolderTest
{
    private static string Tables => Path.Combine(TestPaths.SharedData, "bdgp-annotations");

    [Fact]
    public void JoinsTheRealTablesWithAFolderAndCountsWhatIsMissing()
    {
        // The real tables name ~19,000 images; give the folder three of them (the pixels are not available offline).
        var images = Directory.CreateDirectory(Path.Combine(dir, "img")).FullName;
        foreach (var name in new[] { "45376_s.bmp", "45377_s.bmp" })
            using (var scope = TorchRuntime.NewDisposeScope())
                ImageIO.Write(Path.Combine(images, name), Factory.Zeros(new long[] { 8, 20, 3 }, DType.UInt8));
        var r = BdgpImporter.Import(Path.Combine(Tables, "standard_images.csv"),
            Path.Combine(Tables, "standard_annotations.csv"), images, dir);
        Assert.Equal(2, r.Manifest.Rows.Count);
        Assert.True(r.ImagesInTables > 19_000);
        Assert.Equal(r.ImagesInTables - 2, r.Missing);
        var a = r.Manifest.Rows.Single(x => x.Path.EndsWith("45376_s.bmp", StringComparison.Ordinal));
        Assert.Equal(("AT12172", 1, "lateral", "AT12172_1"), (a.Gene, a.Range, a.View, a.Bag));
        Assert.Equal(new[] { "maternal" }, a.Terms);
        var b = r.Manifest.Rows.Single(x => x.Path.EndsWith("45377_s.bmp", StringComparison.Ordinal));
        Assert.Equal(new[] { "cellular blastoderm", "maternal" }, b.Terms);
        Assert.Equal("dorsal", b.View);
        var file = Path.Combine(dir, "bdgp.csv");
        r.Manifest.Save(file);
        Assert.Equal(2, ManifestStats.Of(Manifest.Load(file)).Bags);
    }

    [Theory]
    [InlineData("('a.bmp',)", new[] { "a.bmp" })]
    [InlineData("('cellular blastoderm', 'maternal')", new[] { "cellular blastoderm", "maternal" })]
    [InlineData("(\"it's\", 'b\\'c')", new[] { "it's", "b'c" })]
    [InlineData("()", new string[0])]
    public void ParsesPythonTuples(string text, string[] expected) => Assert.Equal(expected, BdgpImporter.ParseTuple("t", 1, text));

    [Fact]
    public void ABadRangeNamesTableAndLine()
    {
        var imagesCsv = Path.Combine(dir, "i.csv");
        var annCsv = Path.Combine(dir, "a.csv");
        File.WriteAllText(imagesCsv, "gene,stage,direction,image_url\ng1,9,lateral,\"('x.bmp',)\"\n");
        File.WriteAllText(annCsv, "gene,stage,annotation\n");
        var ex = Assert.Throws<InvalidDataException>(() => BdgpImporter.Import(imagesCsv, annCsv, dir, dir));
        Assert.Contains(imagesCsv + ":2:", ex.Message);
    }
}

public class SplitTests : TempFolderTest
{
    /// <summary>120 genes, each with 2-6 images of one precise stage 4..17.</summary>
    private Manifest Synthetic()
    {
        var rng = new Random(3);
        var rows = new List<ManifestRow>();
        for (int g = 0; g < 120; g++)
        {
            int stage = 4 + g % 14, n = 2 + rng.Next(5);
            for (int k = 0; k < n; k++)
                rows.Add(new ManifestRow($"g{g}_{k}.png", Stage: stage, Range: StageRanges.Of(stage), Gene: $"G{g}"));
        }
        return new Manifest(rows, dir);
    }

    [Fact]
    public void NoGeneLeaksAndFractionsAreMetPerStage()
    {
        var split = SplitMaker.Split(Synthetic(), 0.7, 0.1, 0.2, seed: 5).Rows;
        Assert.All(split.GroupBy(r => r.Gene), g => Assert.Single(g.Select(r => r.Split).Distinct()));
        double share(string s) => split.Count(r => r.Split == s) / (double)split.Count;
        Assert.InRange(share("train"), 0.6, 0.8);
        Assert.InRange(share("test"), 0.12, 0.28);
        Assert.True(share("val") > 0);
        // Stratified: every stage appears in training.
        Assert.Equal(14, split.Where(r => r.Split == "train").Select(r => r.Stage).Distinct().Count());
    }

    [Fact]
    public void SeedDecides()
    {
        var m = Synthetic();
        var a = SplitMaker.Split(m, 0.7, 0.1, 0.2, 1).Rows.Select(r => r.Split).ToList();
        var b = SplitMaker.Split(m, 0.7, 0.1, 0.2, 1).Rows.Select(r => r.Split).ToList();
        var c = SplitMaker.Split(m, 0.7, 0.1, 0.2, 2).Rows.Select(r => r.Split).ToList();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void CommandWritesSplitsAndRejectsBadFractions()
    {
        var file = Path.Combine(dir, "m.csv");
        Synthetic().Save(file);
        Assert.Equal(0, InSitu.Cli.Cli.Build().Parse(new[] { "data", "split", file, "--seed", "3" }).Invoke());
        Assert.All(Manifest.Load(file).Rows, r => Assert.Contains(r.Split, new[] { "train", "val", "test" }));
        Assert.Equal(1, InSitu.Cli.Cli.Build().Parse(new[] { "data", "split", file, "--fractions", "0.5,0.5,0.5" }).Invoke());
    }
}
