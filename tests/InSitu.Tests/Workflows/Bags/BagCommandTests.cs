using System.Text.Json;
using InSitu.Data;
using InSitu.Workflows.Bags;

namespace InSitu.Tests.Workflows.Bags;

/// <summary>
/// `insitu bags train|evaluate|predict|ablate` and `insitu model summary` end to end on a tiny bag set (noise images, a
/// schedule of one or two epochs): what each writes, how they read each other's files, and their one-line errors.
/// </summary>
[Trait("Category", "Slow")]
public class BagCommandTests : TempFolderTest
{
    private const string TinyConfig = """
        {"height": 32, "width": 96, "attributes": 3, "lstm_hidden": 8,
         "warmup": {"epochs": 1, "batch_size": 4}, "cnn": {"epochs": 2, "batch_size": 8, "cosine_epochs": 2},
         "lstm": {"epochs": 2, "batch_size": 4}}
        """;

    private (string manifest, string config) Data()
    {
        var images = new List<(string, int, string, string?)>();
        string[] splits = { "train", "train", "train", "val", "test", "train", "val", "test" };
        string[] terms = { "x;y", "x", "y;z", "x;z", "x", "z", "y", "x;y;z" };
        for (int b = 0; b < 8; b++)
            for (int i = 0; i < 2 + b % 3; i++)
                images.Add(($"G{b}_{1 + b % 6}", 1 + b % 6, terms[b], splits[b]));
        var manifest = BagFiles.Write(dir, images);
        var config = Path.Combine(dir, "tiny.json");
        File.WriteAllText(config, TinyConfig);
        return (manifest, config);
    }

    [Fact]
    public void TrainPredictEvaluateAblateAndSummarise()
    {
        var (manifest, config) = Data();
        File.WriteAllText(Path.Combine(dir, "img1.png"), "broken"); // bag G0_1 keeps its other image
        var run = Path.Combine(dir, "run");
        var (code, stdout, stderr) = CliRunner.Run("bags", "train", manifest, "--out", run, "--config", config, "--preset", "demo");
        Assert.True(code == 0, stderr);
        Assert.Contains("bilstm: test bags 2", stdout);
        Assert.Contains("cnn_mean: test bags 2", stdout);
        Assert.Contains("1 unreadable image(s) skipped", stderr);
        Assert.Contains("img1.png", File.ReadAllText(Path.Combine(run, "failures.csv")));
        foreach (var f in new[] { "model.json", "cnn.pt", "lstm.pt", "evaluation.json", "bags.csv", "config.json", "report.html",
            "f1_per_attribute.svg" })
            Assert.True(File.Exists(Path.Combine(run, f)), f);
        var info = BagModelInfo.Load(run);
        info.cnn.Dispose();
        info.lstm?.Dispose();
        Assert.Equal(new[] { "x", "y", "z" }, info.info.Attributes.Order());
        Assert.Equal(3, info.info.Thresholds.Length);

        // a rerun with --resume reuses every finished phase
        var again = CliRunner.Run("bags", "train", manifest, "--out", run, "--config", config, "--preset", "demo", "--resume");
        Assert.Equal(0, again.code);
        Assert.Contains(stdout.Split('\n').First(l => l.StartsWith("bilstm", StringComparison.Ordinal)), again.stdout);

        var predictions = Path.Combine(dir, "pred.csv");
        var predict = CliRunner.Run("bags", "predict", run, manifest, "--out", predictions);
        Assert.True(predict.code == 0, predict.stderr);
        Assert.Contains("predicted 8 bags", predict.stdout);
        var lines = File.ReadAllLines(predictions);
        Assert.Equal(9, lines.Length);
        Assert.StartsWith("bag,range,images,predicted_terms,", lines[0]);

        // the same probabilities scored as another method's give the model's own figures
        var evaluate = CliRunner.Run("bags", "evaluate", run, manifest, "--scores", $"mine={predictions}", "--out",
            Path.Combine(dir, "eval.json"));
        Assert.True(evaluate.code == 0, evaluate.stderr);
        Assert.Contains("the manifest's test split", evaluate.stdout);
        using (var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "eval.json"))))
        {
            var e = doc.RootElement.GetProperty("evaluations").EnumerateArray().ToList();
            Assert.Equal(new[] { "bilstm", "cnn_mean", "mine" }, e.Select(x => x.GetProperty("model").GetString()));
            double F1(int i) => e[i].GetProperty("scores").GetProperty("f1_samples").GetDouble();
            double Auc(int i) => e[i].GetProperty("scores").GetProperty("auc_macro").GetDouble();
            Assert.Equal(Auc(0), Auc(2), 5);
            Assert.Equal(F1(0), F1(2), 5);
        }

        var summary = CliRunner.Run("model", "summary", run);
        Assert.Equal(0, summary.code);
        Assert.Contains("input 1x32x96", summary.stdout);
        Assert.Contains("FLOPs:", summary.stdout);

        var ablation = Path.Combine(dir, "ablation");
        var ablate = CliRunner.Run("bags", "ablate", manifest, "--out", ablation, "--config", config, "--preset", "demo", "--seeds", "2",
            "--variants", "no_stage_masks,cnn_only_mean");
        Assert.True(ablate.code == 0, ablate.stderr);
        Assert.Contains("| full |", ablate.stdout);
        Assert.Contains("| no_stage_masks |", ablate.stdout);
        Assert.Contains("| cnn_only_mean |", ablate.stdout);
        var html = File.ReadAllText(Path.Combine(ablation, "report.html"));
        Assert.Contains("f1_per_attribute.svg", html);
        Assert.Contains("<svg", File.ReadAllText(Path.Combine(ablation, "f1_per_attribute.svg")));
        Assert.True(File.Exists(Path.Combine(ablation, "seed-2", "no_stage_masks", "model.json")));
        Assert.True(Directory.Exists(Path.Combine(ablation, "seed-1", "warmup"))); // shared by the variants of a seed
        Assert.False(Directory.Exists(Path.Combine(ablation, "seed-1", "full", "warmup")));
        using var table = JsonDocument.Parse(File.ReadAllText(Path.Combine(ablation, "ablation.json")));
        var full = table.RootElement.GetProperty("variants")[0];
        Assert.Equal(2, full.GetProperty("f1_samples").GetProperty("n").GetInt32());
    }

    [Fact]
    public void BadInputGetsOneLineErrors()
    {
        var (manifest, config) = Data();
        string Fails(params string[] args) => CliRunner.Fails(1, CliRunner.Run(args));
        Assert.Contains("unknown variant 'no_lstm'", Fails("bags", "ablate", manifest, "--out", dir, "--variants", "no_lstm"));
        Assert.Contains("--seeds must be at least 1", Fails("bags", "ablate", manifest, "--out", dir, "--seeds", "0"));
        Assert.Contains("does not exist", Fails("bags", "train", Path.Combine(dir, "none.csv"), "--out", dir));
        var terms = Path.Combine(dir, "terms.txt");
        File.WriteAllText(terms, "x\ny\n");
        Assert.Contains("unknown term 'z'", Fails("bags", "train", manifest, "--out", Path.Combine(dir, "r"), "--config", config,
            "--terms", terms));
        Assert.Contains("not a trained bag model", Fails("bags", "predict", dir, manifest, "--out", Path.Combine(dir, "p.csv")));
        Assert.Contains("unknown setting '$.cnn.epoch'", Fails("bags", "train", manifest, "--out", dir, "--config",
            WriteText("bad.json", "{\"cnn\": {\"epoch\": 3}}")));
        Assert.Contains("unknown network 'regnet'", Fails("model", "summary", "regnet"));
    }

    [Fact]
    public void ExternalScoresMustNameEveryAttributeAndHoldProbabilities()
    {
        var (manifest, _) = Data();
        var set = BagSet.Load(Manifest.Load(manifest), BagConfig.Demo with { Height = 32, Width = 96 }, null, new DecodedImageCache());
        var perImage = WriteText("images.csv", "path,x,y,z,other\n" + string.Join("\n", Enumerable.Range(0, 4).Select(i =>
            $"img{i}.png,{0.1 * i:0.0},0.5,1,abc")) + "\n");
        var scores = ExternalBagScores.Read(perImage, new[] { "x", "y", "z" }, set);
        // G0_1 has images 0 and 1: the mean of their scores
        Assert.Equal(new[] { 0.05, 0.5, 1 }, scores["G0_1"].Select(v => Math.Round(v, 9)));
        Assert.Equal(2, scores.Count);
        var missing = WriteText("missing.csv", "bag,x,y\nG0_1,0.1,0.2\n");
        Assert.Contains("no column for 1 of the model's 3 attributes (e.g. 'z')", Assert.Throws<InvalidDataException>(() =>
            ExternalBagScores.Read(missing, new[] { "x", "y", "z" }, set)).Message);
        var bad = WriteText("bad.csv", "bag,x,y,z\nG0_1,0.1,1.5,0\n");
        Assert.Contains("bad.csv:2: 'y' is '1.5', not a probability", Assert.Throws<InvalidDataException>(() =>
            ExternalBagScores.Read(bad, new[] { "x", "y", "z" }, set)).Message);
    }

    [Fact]
    public void FlyExpressTableWithAnEmptyBagIsRefusedNamingItsLine()
    {
        var table = WriteText("bags.csv", "gene_stage,labels,imgs\nCG1_2,x,a.jpg\nCG2_3,x,\"()\"\n");
        Directory.CreateDirectory(Path.Combine(dir, "images"));
        var error = Assert.Throws<InvalidDataException>(() => FlyExpressBagImporter.Import(table, Path.Combine(dir, "images"), dir));
        Assert.Contains("bags.csv:3: bag 'CG2_3' lists no images (an empty bag)", error.Message);
    }

    private string WriteText(string name, string text)
    {
        var file = Path.Combine(dir, name);
        File.WriteAllText(file, text);
        return file;
    }
}
