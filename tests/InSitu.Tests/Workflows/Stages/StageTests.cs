using System.Text.Json;
using InSitu.Classic;
using InSitu.Data;
using InSitu.Evaluation;
using InSitu.Synthesis;
using InSitu.Workflows.Stages;

namespace InSitu.Tests.Workflows.Stages;

public class StageEvaluationTests
{
    [Fact]
    public void TableTwoFiguresFromPredictions()
    {
        // classes: 0 = stage 4 ... 13 = stage 17
        long[] truth = { 0, 0, 1, 1, 3, 3, 9, 13, 13, 13 };
        long[] pred = { 0, 1, 1, 1, 4, 9, 9, 13, 12, 5 };
        var e = StageEvaluation.Of(pred, truth);
        Assert.Equal(0.5, e.PerStageAccuracy[0], 9);
        Assert.Equal(1.0, e.PerStageAccuracy[1], 9);
        Assert.Equal(0.0, e.PerStageAccuracy[3], 9);
        Assert.Equal(1.0 / 3, e.PerStageAccuracy[13], 9);
        Assert.True(double.IsNaN(e.PerStageAccuracy[2])); // no test images of stage 6
        Assert.Equal((0.5 + 1 + 0 + 1 + 1.0 / 3) / 5, e.MeanPerStageAccuracy, 9);
        Assert.Equal(0.5, e.OverallAccuracy, 9);
        // errors: 4->5 (same range 4-6), 7->8 (same range 7-8), 7->13 (no), 17->16 (same 13-17), 17->9 (no)
        Assert.Equal(3.0 / 5, e.ErrorsInsideRange, 9);
        Assert.Equal(8.0 / 10, e.WithinOneStage, 9);
        Assert.Equal(1, e.Confusion[13][5]);
        Assert.Equal(10, e.Confusion.Sum(r => r.Sum()));
    }

    [Fact]
    public void MeanAndSampleStandardDeviation()
    {
        var m = MeanStd.Of(new[] { 0.5, 0.7, 0.9 });
        Assert.Equal(0.7, m.Mean, 9);
        Assert.Equal(0.2, m.Std, 9);
        Assert.Equal("70.00 ± 20.00", m.ToString());
    }
}

public class ClassicTests
{
    [Fact]
    public void LogGaborFiltersRespondMostToTheirOwnOrientationAndScale()
    {
        using var bank = new LogGaborBank(kernelSize: 31);
        using var scope = TorchRuntime.NewDisposeScope();
        // a grating of wavelength 6.3 px (scale 1: 3 * 2.1) running at 60 degrees (orientation 2 of 6)
        int h = 64, w = 64;
        double theta = Math.PI / 3, wavelength = 3 * 2.1;
        var px = new float[h * w];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                px[y * w + x] = (float)Math.Cos(2 * Math.PI * (x * Math.Cos(theta) - y * Math.Sin(theta)) / wavelength);
        var r = bank.Responses(Tensor.FromArray(px, 1, 1, h, w));
        Assert.Equal(new long[] { 1, 24, h, w }, r.Shape);
        var energy = r.Narrow(2, 16, 32).Narrow(3, 16, 32).Mean(new long[] { 0, 2, 3 }).ToFloatArray();
        int best = Array.IndexOf(energy, energy.Max());
        Assert.Equal(1 * 6 + 2, best);
        using var features = bank.Features(Tensor.FromArray(px, 1, 1, h, w));
        Assert.Equal(new long[] { 1, 24 * 8 * 8 }, features.Shape);
    }

    [Fact]
    public void LogisticRegressionReachesTheRegularisedOptimum()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        TorchRuntime.ManualSeed(3);
        var centres = Factory.Randn(new long[] { 3, 5 }).Mul(2);
        var labels = Tensor.FromArray(Enumerable.Range(0, 90).Select(i => (long)(i % 3)).ToArray(), 90);
        var x = centres.IndexSelect(0, labels).Add(Factory.Randn(new long[] { 90, 5 }));
        using var lr = new LogisticRegression(3, lambda: 0.01);
        lr.Fit(x, labels, iterations: 1500);
        var p = lr.Predict(x);
        Assert.True(p.Where((v, i) => v == i % 3).Count() > 80);
        // stationarity: the gradient of mean CE + lambda/2 ||W||^2 vanishes at the solution, which we check by
        // refitting from the found point's loss: a tenfold longer fit lowers the objective by almost nothing
        using var longer = new LogisticRegression(3, lambda: 0.01);
        longer.Fit(x, labels, iterations: 4000);
        var a = lr.PredictProba(x).ToFloatArray();
        var b = longer.PredictProba(x).ToFloatArray();
        Assert.True(a.Zip(b, (u, v) => Math.Abs(u - v)).Max() < 0.02);
    }
}

public class StageMethodTests : TempFolderTest
{
    private static readonly Lazy<BdgpLabelTables> Tables = new(() =>
        BdgpLabelTables.Load(Path.Combine(TestPaths.SharedData, "bdgp-annotations")));

    private static StageConfig Tiny => StageConfig.Demo with
    {
        Coarse = StageConfig.Demo.Coarse with { Epochs = 1, Milestones = new[] { 1 } },
        Fine = StageConfig.Demo.Fine with { Epochs = 2, Milestones = new[] { 1 } },
        Feature = StageConfig.Demo.Feature with { Epochs = 1, Milestones = new[] { 1 } },
        ReferenceSets = 4,
        GaborLambdas = new[] { 0.1 },
        BaseWidth = 4,
    };

    private Manifest Simulated(int perStage = 8, int factor = 2)
        => new StageDemo(perStage, factor).Simulate(Tables.Value, Path.Combine(dir, "data"));

    [Fact]
    public void ReferenceSetsHoldOneImageOfEachClass()
    {
        var m = Simulated();
        var data = StageData.Load(m, Tiny, 1, needCoarse: false);
        using var net = new InSitu.Models.ResNet(Tiny.Network(14));
        var y = data.TrainTruth;
        var refs = ReferenceSetBuilder.Build(net, data.Evaluation(data.Train), y, 14, Tiny with { ReferenceSets = 5 }, 1);
        Assert.Equal(5, refs.Sets.Length);
        Assert.All(refs.Sets, s => Assert.Equal(Enumerable.Range(0, 14).Select(c => (long)c), s.Select(i => y[i])));
        // an untrained net is confident about nothing: every class falls back, and says so
        Assert.Equal(14, refs.FallbackClasses.Length);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void CompareWritesTheRunDirectoryAndResumes()
    {
        var m = Simulated();
        var outDir = Path.Combine(dir, "run");
        var summaries = new StageComparison().Run(m, Tiny, StageMethods.All, 1, outDir, resume: false);
        Assert.Equal(StageMethods.Names, summaries.Select(s => s.Method));
        foreach (var f in new[] { "config.json", "comparison.json", "comparison.md", "report.html",
            "confusion-data_feature.png", "seed-1/data.model.pt",
                     "seed-1/data_feature.model.json", "saliency-gallery.png", "gem-7-12.png", "gem-masked-7-12.png", "feature-maps.png" })
            Assert.True(File.Exists(Path.Combine(outDir, f)), f);
        Assert.NotNull(summaries[3].SimilarityMeanPerStage);
        // a finished run resumes without training again and gives the same numbers
        var again = new StageComparison().Run(m, Tiny, new[] { StageMethods.Data }, 1, outDir, resume: true);
        Assert.Equal(summaries[2].MeanPerStage.Mean, again[0].MeanPerStage.Mean, 9);
    }

    [Fact]
    public void BadInputIsRefusedClearly()
    {
        var m = Simulated(perStage: 6, factor: 1);
        // no range-only images: the data methods cannot run
        var fineOnly = new Manifest(m.Rows.Where(r => r.Stage is not null), m.BaseDirectory);
        var ex = Assert.Throws<InvalidDataException>(() => StageData.Load(fineOnly, Tiny, 1, needCoarse: true));
        Assert.Contains("range", ex.Message);
        // an empty class
        var noSeven = new Manifest(m.Rows.Where(r => r.Stage != 7), m.BaseDirectory);
        Assert.Contains("stage(s) 7",
            Assert.Throws<InvalidDataException>(() => StageData.Load(noSeven, Tiny, 1, needCoarse: false)).Message);
        // config overrides: known keys merge, unknown ones are named
        File.WriteAllText(Path.Combine(dir, "c.json"), "{\"fine\": {\"epochs\": 3}, \"margin\": 2}");
        var c = StageConfig.Load(Path.Combine(dir, "c.json"), Tiny);
        Assert.Equal(3, c.Fine.Epochs);
        Assert.Equal(2, c.Margin);
        Assert.Equal(Tiny.Fine.LearningRate, c.Fine.LearningRate);
        File.WriteAllText(Path.Combine(dir, "bad.json"), "{\"epochz\": 3}");
        Assert.Contains("epochz", Assert.Throws<InvalidDataException>(() => StageConfig.Load(Path.Combine(dir, "bad.json"), Tiny)).Message);
    }

    [Fact]
    public void TrainPrecisionFromTheCommandLineReachesEveryPhase()
    {
        Simulated(perStage: 6, factor: 1);
        File.WriteAllText(Path.Combine(dir, "tiny.json"), "{\"base_width\": 2, \"fine\": {\"epochs\": 1, \"milestones\": [1]}}");
        var run = Path.Combine(dir, "bf16");
        var (code, _, _) = CliRunner.Run("stage", "train", Path.Combine(dir, "data", "manifest.csv"), "--method", "plain", "--preset",
            "demo", "--config", Path.Combine(dir, "tiny.json"), "--train-precision", "bf16", "--out", run);
        Assert.Equal(0, code);
        var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json"))).RootElement.GetProperty("config");
        foreach (var phase in new[] { "coarse", "fine", "feature" })
            Assert.Equal("bf16", config.GetProperty(phase).GetProperty("precision").GetString());
        Assert.Equal("fp32", StageConfig.Demo.Fine.Precision.ToString().ToLowerInvariant());
        var bad = CliRunner.Fails(1, CliRunner.Run("stage", "train", Path.Combine(dir, "data", "manifest.csv"), "--train-precision",
            "fp16", "--out", run));
        Assert.Contains("fp16", bad);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void TrainEvaluatePredictFromTheCommandLine()
    {
        var m = Simulated();
        File.WriteAllText(Path.Combine(dir, "tiny.json"), "{\"base_width\": 4, \"fine\": {\"epochs\": 1, \"milestones\": [1]}}");
        var run = Path.Combine(dir, "plain");
        var (code, _, _) = CliRunner.Run("stage", "train", Path.Combine(dir, "data", "manifest.csv"), "--method",
            "plain", "--preset", "demo",
            "--config", Path.Combine(dir, "tiny.json"), "--out", run);
        Assert.Equal(0, code);
        // the model lies where the run directory's model.json says: in the run directory itself
        foreach (var f in new[] { "model.pt", "model.json", "config.json", "evaluation.json", "plain/curve.json" })
            Assert.True(File.Exists(Path.Combine(run, f)), f);
        Assert.Equal("model.pt",
            JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "model.json"))).RootElement.GetProperty("weights").GetString());
        Assert.False(Directory.Exists(Path.Combine(run, "seed-1")));
        (code, _, _) = CliRunner.Run("stage", "evaluate", run, Path.Combine(dir, "data", "manifest.csv"));
        Assert.Equal(0, code);
        Assert.True(File.Exists(Path.Combine(run, "evaluation.json")));
        var csv = Path.Combine(dir, "pred.csv");
        (code, _, _) = CliRunner.Run("stage", "predict", run, Path.Combine(dir, "data", "images"), "--out", csv);
        Assert.Equal(0, code);
        var lines = File.ReadAllLines(csv);
        Assert.Equal(m.Rows.Count + 1, lines.Length);
        Assert.StartsWith("path,stage,range,p4,", lines[0]);
        var probs = lines[1].Split(',').Skip(3).Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(1.0, probs.Sum(), 3);

        // the inference engines: eager and the fused plan give one evaluation and one set of predictions
        string stdout;
        var manifest = Path.Combine(dir, "data", "manifest.csv");
        (code, stdout, _) = CliRunner.Run("stage", "evaluate", run, manifest, "--engine", "eager");
        Assert.Equal(0, code);
        Assert.Contains("inference: eager\n", stdout.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        var eagerEvaluation = File.ReadAllText(Path.Combine(run, "evaluation.json"));
        if (InferencePlan.IsAvailable)
        {
            (code, stdout, _) = CliRunner.Run("stage", "evaluate", run, manifest, "--engine", "fused");
            Assert.Equal(0, code);
            Assert.Contains("inference: fused float32, Winograd convolutions (oneDNN", stdout, StringComparison.Ordinal);
            Assert.Equal(eagerEvaluation, File.ReadAllText(Path.Combine(run, "evaluation.json")));
            var eagerCsv = Path.Combine(dir, "pred-eager.csv");
            (code, _, _) = CliRunner.Run("stage", "predict", run, Path.Combine(dir, "data", "images"), "--out", eagerCsv, "--engine",
                "eager");
            Assert.Equal(0, code);
            var eagerLines = File.ReadAllLines(eagerCsv);
            Assert.Equal(lines.Length, eagerLines.Length);
            for (int i = 1; i < lines.Length; i++)
            {
                var (f, e) = (lines[i].Split(','), eagerLines[i].Split(','));
                Assert.Equal(e[..3], f[..3]);  // path, stage, range
                for (int k = 3; k < e.Length; k++)
                    Assert.Equal(double.Parse(e[k], System.Globalization.CultureInfo.InvariantCulture),
                        double.Parse(f[k], System.Globalization.CultureInfo.InvariantCulture), 4);
            }
            (code, stdout, _) = CliRunner.Run("stage", "predict", run, Path.Combine(dir, "data", "images"), "--out",
                Path.Combine(dir, "pred-int8.csv"), "--precision", "int8");
            Assert.Equal(0, code);
            Assert.Contains("inference: fused int8 calibrated on 4 batches", stdout, StringComparison.Ordinal);
        }

        // explanations and GEMs of the trained model
        var images = Path.Combine(dir, "data", "images");
        foreach (var method in new[] { "saliency", "guided", "gradcam", "features" })
        {
            (code, _, _) = CliRunner.Run("explain", run, Path.Combine(images, "000000.png"), Path.Combine(images, "000001.png"), "--method",
                method, "--out", Path.Combine(dir, "explain"));
            Assert.Equal(0, code);
        }
        Assert.True(File.Exists(Path.Combine(dir, "explain", "000001.guided.overlay.png")));
        Assert.True(File.Exists(Path.Combine(dir, "explain", "000000.features.png")));
        Assert.Equal(3, File.ReadAllLines(Path.Combine(dir, "explain", "explanations.csv")).Length);
        (code, _, _) = CliRunner.Run("explain", run, Path.Combine(images, "000000.png"), "--method", "saliency", "--stage", "9", "--out",
            Path.Combine(dir, "explain9"));
        Assert.Equal(0, code);
        Assert.EndsWith(",9,000000.saliency.png,000000.saliency.overlay.png",
            File.ReadAllLines(Path.Combine(dir, "explain9", "explanations.csv"))[1]);
        // two inputs with one name get two maps, not one overwritten
        var other = Path.Combine(dir, "other");
        Directory.CreateDirectory(other);
        File.Copy(Path.Combine(images, "000001.png"), Path.Combine(other, "000000.png"));
        (code, _, _) = CliRunner.Run("explain", run, Path.Combine(images, "000000.png"), Path.Combine(other, "000000.png"), "--out",
            Path.Combine(dir, "same"));
        Assert.Equal(0, code);
        Assert.True(File.Exists(Path.Combine(dir, "same", "000000-2.saliency.png")));
        Assert.Equal("error: --method: unknown ExplanationKind 'sharpness': " +
            $"use {string.Join(", ", InSitu.Common.EnumNames.All<ExplanationKind>())}",
            CliRunner.Fails(1, CliRunner.Run("explain", run, images, "--method", "sharpness", "--out", Path.Combine(dir, "x"))));
        (code, _, _) = CliRunner.Run("gem", run, Path.Combine(dir, "data", "manifest.csv"), "--masked", "--stages", "7-12", "--out",
            Path.Combine(dir, "gem"));
        Assert.Equal(0, code);
        foreach (var f in new[] { "gem.png", "gem-masked.png", "gems.json" }) Assert.True(File.Exists(Path.Combine(dir, "gem", f)), f);
        Assert.Equal("error: --stages takes a range of precise stages such as 7-12 (within 4-17)",
            CliRunner.Fails(1, CliRunner.Run("gem", run, Path.Combine(dir, "data", "manifest.csv"), "--stages", "2-9",
                "--out", Path.Combine(dir, "gem2"))));

        // an image of another shape (a raw photo) is refused, not squashed
        var square = Path.Combine(dir, "square");
        Directory.CreateDirectory(square);
        using (var t = Tensor.FromArray(new byte[64 * 64 * 3], 64, 64, 3)) ImageIO.Write(Path.Combine(square, "raw.png"), t);
        // the only image is skipped for its shape, so nothing usable remains: one line names it and the failures list
        var refused = CliRunner.Fails(1, CliRunner.Run("stage", "predict", run, square, "--out", Path.Combine(dir, "square.csv")));
        Assert.StartsWith($"error: none of the 1 images in '{square}' could be used", refused, StringComparison.Ordinal);
        Assert.Contains($"image '{Path.Combine(square, "raw.png")}' is 64x64 but the model takes 80x32 " +
            "(another shape, not just another size); straighten and crop raw photos with `insitu data standardize` first", refused,
            StringComparison.Ordinal);
        Assert.EndsWith($"listed with its reason in {Path.Combine(dir, "square.failures.csv")}", refused, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "square.csv")));
        Assert.False(File.Exists(Path.Combine(dir, "square.csv.tmp")));

        // a checkpoint that does not fit the architecture named in model.json
        var info = Path.Combine(run, "model.json");
        File.WriteAllText(info, File.ReadAllText(info).Replace("\"base_width\": 4", "\"base_width\": 8"));
        Assert.Equal($"error: '{info}': the checkpoint '{Path.Combine(run, "model.pt")}' does not fit " +
            "a paper network of width 8 for 32x80 images: " +
            "size mismatch for 'conv1.weight': the checkpoint has shape [4, 1, 3, 3], this model has [8, 1, 3, 3]. " +
            "Was it saved from another architecture or configuration?",
            CliRunner.Fails(1, CliRunner.Run("stage", "evaluate", run, Path.Combine(dir, "data", "manifest.csv"))));
        Assert.Equal($"error: '{Path.Combine(dir, "nowhere")}' is not a trained stage model (no model.json); " +
            "train one with `insitu stage train`, or pass a seed-N/METHOD.model.json of a comparison",
            CliRunner.Fails(1,
                CliRunner.Run("stage", "evaluate", Path.Combine(dir, "nowhere"), Path.Combine(dir, "data", "manifest.csv"))));
    }
}
