using System.Text.Json;
using InSitu.Data;
using InSitu.Tests.Data;
using InSitu.Tests.Workflows.Segmentation;
using InSitu.Workflows.Segmentation;

namespace InSitu.Tests.Cli;

/// <summary>`insitu segment ...` from the command line: the bad input as one-line errors, and every command end to end.</summary>
public class SegmentCommandTests : TempFolderTest
{
    private string TinyConfig()
    {
        var path = Path.Combine(dir, "tiny.json");
        File.WriteAllText(path, "{\"patch_size\": 32, \"depth\": 2, \"base_width\": 4, \"patches_per_epoch\": 16, \"tile_size\": 64, " +
            "\"tile_margin\": 8, \"tile_blend\": 8, \"mc_samples\": 2, \"training\": {\"epochs\": 3, \"learning_rate\": 0.01}}");
        return path;
    }

    [Fact]
    public void BadLabelsAreOneLineErrorsNamingTheFile()
    {
        var (image, unused, _) = TinyScenes.Write(Path.Combine(dir, "img"), "a", 64, 1);
        File.Delete(unused);
        var labels = Path.Combine(dir, "lab", "a.png");
        string Train(params string[] extra) => CliRunner.Fails(1, CliRunner.Run(
            ["segment", "train", Path.Combine(dir, "img"), Path.Combine(dir, "lab"), "--out", Path.Combine(dir, "run"), "--config",
                TinyConfig(),
                .. extra]));

        SourceTestData.WriteMask(labels, 32, 64, (y, x) => 1);
        Assert.Contains($"label image '{labels}' is 64x32 but its image '{image}' is 64x64", Train());
        SourceTestData.WriteMask(labels, 64, 64, (y, x) => x == 5 ? 3 : 255);
        Assert.Contains("has value 3 at x=5, y=0, outside the classes 0..1", Train("--classes", "2"));
        SourceTestData.WriteMask(labels, 64, 64, (y, x) => 255);
        Assert.Contains("has no annotated pixel", Train());
        SourceTestData.WriteMask(labels, 64, 64, (y, x) => x % 2);
        Assert.Contains("smaller than the 128x128 training patches", CliRunner.Fails(1, CliRunner.Run(
            "segment", "train", image, labels, "--out", Path.Combine(dir, "run2"))));
        Assert.Contains("unknown preset 'huge'", Train("--preset", "huge"));
        Assert.Contains("is not a trained segmentation model",
            CliRunner.Fails(1, CliRunner.Run("segment", "predict", Path.Combine(dir, "none"),
            image, "--out", dir)));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void TrainPredictSuggestEvaluateAndSimulateFromTheCommandLine()
    {
        var images = Path.Combine(dir, "images");
        var (image, truth, labels) = TinyScenes.Write(images, "scene", 96, 2);
        File.Move(truth, Path.Combine(dir, "scene.truth.png"));
        truth = Path.Combine(dir, "scene.truth.png");
        var strokes = TinyScenes.Strokes(Path.Combine(dir, "strokes"), "scene", labels, 96, 0.3);
        var run = Path.Combine(dir, "run");
        var trained = CliRunner.Run("segment", "train", images, Path.GetDirectoryName(strokes)!, "--out", run, "--config", TinyConfig());
        Assert.Equal(0, trained.code);
        Assert.Contains("best epoch", trained.stdout);
        Assert.True(File.Exists(Path.Combine(run, "model.json")) && File.Exists(Path.Combine(run, "report.html")));

        var predicted = CliRunner.Run("segment", "predict", run, images, "--out", Path.Combine(dir, "pred"), "--mc", "2");
        Assert.Equal(0, predicted.code);
        foreach (var file in new[] { "scene.labels.png", "scene.prob-0-class0.png", "scene.prob-1-class1.png", "scene.entropy.png",
            "scene.margin.png", "scene.mc-disagreement.png", "predict.json", "report.html" })
            Assert.True(File.Exists(Path.Combine(dir, "pred", file)), file);

        var suggested = CliRunner.Run("segment", "suggest", run, image, "--out", Path.Combine(dir, "suggest"), "--rule", "margin");
        Assert.Equal(0, suggested.code);
        Assert.True(suggested.stdout.StartsWith("next patch: " + image, StringComparison.Ordinal), suggested.stdout + suggested.stderr);
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "suggest", "suggestions.json"))).RootElement;
        Assert.Equal(9, json.GetProperty("candidates").GetInt32());

        var evaluated = CliRunner.Run("segment", "evaluate", run, image, truth, "--out", Path.Combine(dir, "eval"));
        Assert.Equal(0, evaluated.code);
        Assert.Contains("mean IoU", evaluated.stdout);

        var simulated = CliRunner.Run("segment", "simulate", "--image", image, "--truth", truth, "--out", Path.Combine(dir, "sim"),
            "--config", TinyConfig(), "--seeds", "1", "--patches", "2", "--warm-epochs", "1");
        Assert.Equal(0, simulated.code);
        Assert.Contains("active: IoU of class 1 after 2 patches", simulated.stdout);
        Assert.True(File.Exists(Path.Combine(dir, "sim", "report.html")));
        var again = CliRunner.Run("segment", "simulate", "--image", image, "--truth", truth, "--out", Path.Combine(dir, "sim"),
            "--config", TinyConfig(), "--seeds", "1", "--patches", "2", "--warm-epochs", "1", "--resume");
        Assert.Equal(0, again.code);
        Assert.DoesNotContain("seed 1, active", again.stdout);
    }

    [Fact]
    public void SynthWritesAnEmImageWithItsTruth()
    {
        var r = CliRunner.Run("segment", "synth", "--out", Path.Combine(dir, "em"), "--width", "320", "--height", "240", "--scale", "0.3");
        Assert.Equal(0, r.code);
        using var scope = TorchRuntime.NewDisposeScope();
        Assert.Equal(new long[] { 240, 320, 1 }, ImageIO.Read(Path.Combine(dir, "em", "image.png")).Shape);
        Assert.Equal(3, LabelImage.Read(Path.Combine(dir, "em", "truth.png"), 3).Labels.Distinct().Count());
    }
}
