using InSitu.Data;
using InSitu.Imaging;
using InSitu.Models;
using InSitu.Synthesis;
using InSitu.Torch;
using InSitu.Workflows.Stages;

namespace InSitu.Tests.Data;

/// <summary>Bad files, odd spellings, links and interrupted runs must never turn into silently wrong data.</summary>
public class RobustnessTests : TempFolderTest
{

    private static void WritePng(string path, int height, int width, byte level = 100)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var px = new byte[height * width * 3];
        for (int k = 0; k < px.Length; k++) px[k] = (byte)(level + k % 7);
        using var t = Tensor.FromArray(px, height, width, 3);
        ImageIO.Write(path, t);
    }

    /// <summary>The four bad files of every batch test: a dangling link, an empty file, a truncated PNG and text named .png.</summary>
    private static void WriteBadFiles(string folder, int height, int width)
    {
        Directory.CreateDirectory(folder);
        File.CreateSymbolicLink(Path.Combine(folder, "dangling.png"), Path.Combine(folder, "nowhere.png"));
        File.WriteAllBytes(Path.Combine(folder, "empty.png"), Array.Empty<byte>());
        var good = Path.Combine(folder, "whole.png");
        WritePng(good, height, width);
        var bytes = File.ReadAllBytes(good);
        File.WriteAllBytes(Path.Combine(folder, "truncated.png"), bytes[..(bytes.Length / 2)]);
        File.Delete(good);
        File.WriteAllText(Path.Combine(folder, "text.png"), "not an image at all");
    }

    private static string[] BadNames => new[] { "dangling.png", "empty.png", "text.png", "truncated.png" };

    private static List<string> FailureNames(string csv) =>
        File.ReadAllLines(csv).Skip(1).Select(l => Path.GetFileName(l.Split(',')[0])).Order(StringComparer.Ordinal).ToList();

    // ---- 1. bit depth ----

    [Fact]
    public void FloatTiffsKeepTheirValuesOrAreScaledByTheirOwnMaximum()
    {
        var unit = Path.Combine(dir, "unit.tif");
        FloatTiff.Write(unit, 8, 8, (y, x) => 0.25f + 0.5f * x / 7);
        var counts = Path.Combine(dir, "counts.tif");
        FloatTiff.Write(counts, 8, 8, (y, x) => 1000f * x / 7);
        var m = new Manifest(new[] { new ManifestRow(unit), new ManifestRow(counts) }, dir);
        var loader = new ImageBatchLoader(m, new LoaderOptions { Height = 8, Width = 8, Gray = true });
        var a = loader.LoadImage(unit);
        Assert.Equal(0.25f, a[0], 3);
        Assert.Equal(0.75f, a[7], 3);
        var b = loader.LoadImage(counts);
        Assert.Equal(0f, b[0], 3);
        Assert.Equal(1f, b[7], 3);
        Assert.Equal(3f / 7, b[3], 3);
        // 8-bit RGB for colour analysis: 0.75 is 191, not black
        using var rgb = ImageIO.ReadRgb8(unit);
        var px = rgb.ToArray<byte>();
        Assert.InRange(px[7 * 3], 190, 192);
        Assert.InRange(px[0], 63, 64);
    }

    [Fact]
    public void AFloatImageWithNegativeOrNonFiniteValuesIsRefusedNamingTheFile()
    {
        var bad = Path.Combine(dir, "signed.tif");
        FloatTiff.Write(bad, 8, 8, (y, x) => x - 3f);
        var m = new Manifest(new[] { new ManifestRow(bad) }, dir);
        var loader = new ImageBatchLoader(m, new LoaderOptions { Height = 8, Width = 8, Gray = true });
        var ex = Assert.Throws<TorchException>(() => loader.LoadImage(bad));
        Assert.Contains(bad, ex.Message);
        Assert.Contains("negative", ex.Message);
    }

    // ---- 2, 3. manifests ----

    [Theory]
    [InlineData("./x.png")]
    [InlineData("sub/../x.png")]
    [InlineData(".//x.png")]
    [InlineData("x.png/")]
    public void OneImageSpelledTwoWaysIsADuplicate(string other)
    {
        var file = Path.Combine(dir, "m.csv");
        File.WriteAllText(file, $"path,stage\nx.png,5\ny.png,6\n{other},9\n");
        var ex = Assert.Throws<InvalidDataException>(() => Manifest.Load(file));
        Assert.Contains(file + ":4:", ex.Message);
        Assert.Contains("line 2", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void AColumnTwiceInTheHeaderIsRefused()
    {
        var file = Path.Combine(dir, "m.csv");
        File.WriteAllText(file, "path,stage,range,Stage\nx.png,5,2,6\n");
        var ex = Assert.Throws<InvalidDataException>(() => Manifest.Load(file));
        Assert.Contains(file + ":1:", ex.Message);
        Assert.Contains("'stage'", ex.Message);
    }

    // ---- 4. links ----

    /// <summary>
    /// root/a/one.png, root/b/two.png; root/a/up -> root (a loop), root/c -> root/a (a second way in), dangling
    /// root/lost.png and root/b/gone, and a cut-off temporary file.
    /// </summary>
    private string LinkedTree()
    {
        var root = Path.Combine(dir, "tree");
        WritePng(Path.Combine(root, "a", "one.png"), 8, 8);
        WritePng(Path.Combine(root, "b", "two.png"), 8, 8);
        Directory.CreateSymbolicLink(Path.Combine(root, "a", "up"), root);
        Directory.CreateSymbolicLink(Path.Combine(root, "c"), Path.Combine(root, "a"));
        Directory.CreateSymbolicLink(Path.Combine(root, "b", "gone"), Path.Combine(dir, "no-such-folder"));
        File.CreateSymbolicLink(Path.Combine(root, "lost.png"), Path.Combine(dir, "no-such.png"));
        File.WriteAllText(Path.Combine(root, "b", ".two.png.tmp.123.png"), "half-written");
        return root;
    }

    [Fact]
    public async Task TheWalkerFollowsEachRealFolderOnceAndSkipsDanglingLinks()
    {
        var root = LinkedTree();
        // a walk that follows the loop would not end (or end only at the system's path limits)
        var listing = await Task.Run(() => FolderWalker.Walk(root)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(new[] { Path.Combine(root, "a", "one.png"), Path.Combine(root, "b", "two.png") }, listing.Files);
        Assert.Equal(new[] { Path.Combine(root, "b", "gone"), Path.Combine(root, "lost.png") },
            listing.Skipped.Select(s => s.path).Order(StringComparer.Ordinal));
        Assert.All(listing.Skipped, s => Assert.Contains("dangling", s.reason));
    }

    [Fact]
    public async Task CommandsThatWalkFoldersListEachImageOnce()
    {
        var root = LinkedTree();
        var inputs = await Task.Run(() => ImageInputs.Load(new[] { root })).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, inputs.Rows.Count);
        var import = await Task.Run(() => ImageFolderImporter.Import(root, dir)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(new[] { "a", "b", "c" }, import.Classes);
        // c is a second way into a: its image is listed once, under a
        Assert.Equal(new[] { "a/one.png", "b/two.png" },
            import.Manifest.Rows.Select(r => Path.GetRelativePath(root, import.Manifest.FullPath(r))));
    }

    // ---- 5. one bad file must not abort a batch command ----

    [Fact]
    public void ImportSkipsBadFilesListsThemAndFailsOnlyWhenNothingIsLeft()
    {
        var root = Path.Combine(dir, "tree");
        WritePng(Path.Combine(root, "a", "good.png"), 8, 8);
        WriteBadFiles(Path.Combine(root, "a"), 8, 8);
        var r = ImageFolderImporter.Import(root, dir);
        Assert.Single(r.Manifest.Rows);
        Assert.Equal(BadNames, r.Skipped.Select(s => Path.GetFileName(s.path)).Order(StringComparer.Ordinal));

        var outFile = Path.Combine(dir, "m.csv");
        var (code, _, _) = CliRunner.Run("data", "import", root, "--out", outFile);
        Assert.Equal(0, code);
        Assert.Equal(2, File.ReadAllLines(outFile).Length);
        Assert.Equal(BadNames, FailureNames(Path.Combine(dir, "m.failures.csv")));
        // --strict still writes its outputs, then fails with one line naming why
        var (strictCode, _, strictError) = CliRunner.Run("data", "import", root, "--out", outFile, "--strict");
        Assert.Equal((1, "error: --strict: 4 file(s) were skipped\n"), (strictCode, strictError));

        File.Delete(Path.Combine(root, "a", "good.png"));
        File.Delete(outFile);
        (code, _, _) = CliRunner.Run("data", "import", root, "--out", outFile);
        Assert.Equal(1, code);
        Assert.False(File.Exists(outFile));
        Assert.Equal(BadNames, FailureNames(Path.Combine(dir, "m.failures.csv")));
    }

    [Fact]
    public void StandardizeSkipsBadFilesAndFailsOnlyWhenNothingIsLeft()
    {
        var raw = Path.Combine(dir, "raw");
        WriteBadFiles(raw, 60, 100);
        var result = StandardizeJob.Run(raw, Path.Combine(dir, "std"), new EmbryoStandardizer());
        Assert.Equal(4, result.Images);
        Assert.Equal(BadNames, FailureNames(Path.Combine(dir, "std", "failures.csv")));
        var (code, _, _) = CliRunner.Run("data", "standardize", raw, "--out", Path.Combine(dir, "std2"));
        Assert.Equal(1, code);
        Assert.Equal(BadNames, FailureNames(Path.Combine(dir, "std2", "failures.csv")));
    }

    [Fact]
    public void PredictKeepsTheGoodImagesOfABatchWithBadOnes()
    {
        var config = StageConfig.Demo with { BaseWidth = 4 };
        var run = Directory.CreateDirectory(Path.Combine(dir, "run")).FullName;
        using (var net = new ResNet(config.Network(PreciseStage.Count)))
            StageModelInfo.Save(run, "model", StageMethods.Find("plain"), config, net);
        var images = Path.Combine(dir, "images");
        for (int i = 0; i < 3; i++) WritePng(Path.Combine(images, $"good{i}.png"), config.Height, config.Width, (byte)(60 * i));
        WriteBadFiles(images, config.Height, config.Width);
        var csv = Path.Combine(dir, "pred.csv");
        var (code, _, _) = CliRunner.Run("stage", "predict", run, images, "--out", csv);
        Assert.Equal(0, code);
        var lines = File.ReadAllLines(csv);
        Assert.Equal(4, lines.Length);
        Assert.Equal(new[] { "good0.png", "good1.png", "good2.png" }, lines.Skip(1).Select(l => Path.GetFileName(l.Split(',')[0])));
        Assert.Equal(BadNames, FailureNames(Path.Combine(dir, "pred.failures.csv")));
        var (strictCode, _, strictError) = CliRunner.Run("stage", "predict", run, images, "--out", csv, "--strict");
        Assert.Equal((1, "error: --strict: 4 file(s) were skipped\n"), (strictCode, strictError));
    }

    // ---- 6. interrupted reruns ----

    [Fact]
    public void AnInterruptedSynthRunLeavesNoStaleManifest()
    {
        var tables = BdgpLabelTables.Load(Path.Combine(TestPaths.SharedData, "bdgp-annotations"));
        var outDir = Path.Combine(dir, "sim");
        var options = new SynthOptions(12, Width: 40, Height: 16);
        DatasetSimulator.Generate(tables, options with { Seed = 2 }, outDir);
        File.WriteAllText(Path.Combine(outDir, "failures.csv"), "path,reason\nold,old\n");
        Assert.ThrowsAny<Exception>(() => DatasetSimulator.Generate(tables, options, outDir,
            done => { if (done >= 3) throw new OperationCanceledException("interrupted"); }));
        Assert.False(File.Exists(Path.Combine(outDir, "manifest.csv")));
        Assert.False(File.Exists(Path.Combine(outDir, "failures.csv")));
        var result = DatasetSimulator.Generate(tables, options, outDir);
        Assert.Equal(12, Manifest.Load(result.ManifestPath).Rows.Count);
    }

    [Fact]
    public void AnInterruptedStandardizeRunLeavesNoStaleManifest()
    {
        var raw = Path.Combine(dir, "raw");
        for (int i = 0; i < 6; i++) WritePng(Path.Combine(raw, $"p{i}.png"), 60, 100);
        var outDir = Path.Combine(dir, "std");
        StandardizeJob.Run(raw, outDir, new EmbryoStandardizer());
        Assert.True(File.Exists(Path.Combine(outDir, "manifest.csv")));
        Assert.ThrowsAny<Exception>(() => StandardizeJob.Run(raw, outDir, new EmbryoStandardizer(),
            (done, _) => { if (done >= 2) throw new OperationCanceledException("interrupted"); }));
        Assert.False(File.Exists(Path.Combine(outDir, "manifest.csv")));
        Assert.False(File.Exists(Path.Combine(outDir, "failures.csv")));
        StandardizeJob.Run(raw, outDir, new EmbryoStandardizer());
        Assert.True(File.Exists(Path.Combine(outDir, "manifest.csv")));
    }

    // ---- 7. temporary files ----

    [Fact]
    public void AFailedImageWriteLeavesNoTemporaryFile()
    {
        var target = Directory.CreateDirectory(Path.Combine(dir, "taken.png")).FullName;
        using (var t = Tensor.FromArray(new byte[8 * 8 * 3], 8, 8, 3))
            Assert.ThrowsAny<Exception>(() => ImageIO.Write(target, t));
        Assert.Equal(new[] { target }, Directory.EnumerateFileSystemEntries(dir));
        Assert.True(AtomicFile.IsTemporary(AtomicFile.TemporaryPath(Path.Combine(dir, "x.png"))));
        Assert.False(AtomicFile.IsTemporary(Path.Combine(dir, ".hidden.png")));
    }
}
