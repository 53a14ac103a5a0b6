using System.Globalization;
using System.Text.Json;
using InSitu.Common;
using InSitu.Data;
using InSitu.Models;
using InSitu.Models.Pretrained;
using InSitu.Synthesis;
using InSitu.Workflows.Terms;

namespace InSitu.Tests.Workflows.Terms;

/// <summary>
/// A tiny simulated BDGP-like set (32 x 80 images whose gene x range bags and terms are real BDGP ones) and random
/// MobileNetV2 weights stored as a weights file, made once for the tests of the terms workflow.
/// </summary>
public sealed class TermsData : IDisposable
{
    public TermsData()
    {
        Folder = Directory.CreateTempSubdirectory("insitu-terms").FullName;
        var tables = BdgpLabelTables.Load(Path.Combine(TestPaths.SharedData, "bdgp-annotations"));
        Manifest = DatasetSimulator.Generate(tables, new SynthOptions(170, Seed: 3, Width: 80, Height: 32), Path.Combine(Folder, "sim"))
            .ManifestPath;
        using var scope = TorchRuntime.NewDisposeScope();
        TorchRuntime.ManualSeed(7);
        using var net = new MobileNetV2();
        Weights = new WeightsStore(Path.Combine(Folder, "store")).Save(net, new WeightsRecord("mobilenet_v2", 5, [], "test", "random",
            "random MobileNetV2 weights for tests", "RGB in [0, 1]", "now"));
        ConfigFile = Path.Combine(Folder, "tiny.json");
        File.WriteAllText(ConfigFile, JsonSettings.Serialize(new
        {
            weights = Weights,
            height = 32,
            width = 80,
            taps = new[] { "block_2" },
            layers = new[] { "block_2", "block_5" },
            ranges = new[] { 2, 5, 6 },
            top_terms = 3,
            classifier = new { members = 3, lambdas = new[] { 0.01, 1.0 } },
            finetune = new { epochs = 1, batch_size = 16 },
            recalibration_batches = 2,
            coding = new
            {
                height = 32,
                width = 80,
                words = 8,
                dictionary_sample = 1000,
                dictionary_rounds = 1,
                coding_iterations = 10,
                pyramid_levels = new[] { 1, 2 }
            },
        }));
        Config = TermsConfig.Load(ConfigFile, TermsConfig.Demo);
    }

    public string Folder { get; }
    public string Manifest { get; }
    public string Weights { get; }
    public string ConfigFile { get; }
    public TermsConfig Config { get; }

    public void Dispose() => Directory.Delete(Folder, true);
}

public class TermsWorkflowTests(TermsData data) : TempFolderTest, IClassFixture<TermsData>
{
    [Fact]
    public void TasksFollowThePaperSetUp()
    {
        var manifest = Manifest.Load(data.Manifest);
        var set = TermTaskSet.Build(manifest, data.Config, seed: 1);
        Assert.Equal(["4-6", "11-12", "13-17"], set.Tasks.Select(t => t.Name));
        var inherited = TermTaskSet.InheritedTerms(manifest);
        var genesInTest = new HashSet<string>();
        foreach (var task in set.Tasks)
        {
            Assert.Equal(3, task.Terms.Count);
            // the most frequent terms of the range's images
            var counts = task.Train.Concat(task.Test).SelectMany(i => inherited[i]).GroupBy(t => t).ToDictionary(g => g.Key, g =>
                g.Count());
            Assert.All(task.Terms, t => Assert.True(counts[t] >= counts.Values.OrderByDescending(c => c).ElementAt(2)));
            Assert.All(task.Train.Concat(task.Test), i => Assert.Equal(task.Range, set.Manifest.Rows[i].Range));
            foreach (var i in task.Test) genesInTest.Add(set.Manifest.Rows[i].Gene!);
        }
        // grouped by gene: no gene is on both sides
        Assert.DoesNotContain(set.TrainRows, i => genesInTest.Contains(set.Manifest.Rows[i].Gene!));
        // every image of a bag carries the bag's terms
        foreach (var bag in manifest.Rows.Select((r, i) => (r, i)).GroupBy(p => p.r.Bag))
            Assert.Single(bag.Select(p => string.Join(";", inherited[p.i].Order())).Distinct());
        // another seed, another split
        Assert.NotEqual(set.TrainRows, TermTaskSet.Build(manifest, data.Config, seed: 2).TrainRows);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void CompareRunsEveryMethodWritesTheTableAndResumes()
    {
        var outDir = Path.Combine(dir, "run");
        var manifest = Manifest.Load(data.Manifest);
        var result = new TermsComparison().Run(manifest, data.Config, TermMethods.All, 1, layers: true, outDir, resume: false);
        Assert.Equal(TermMethods.Names, result.Methods.Select(m => m.Method));
        foreach (var s in result.Methods)
        {
            Assert.Equal(["4-6", "11-12", "13-17"], s.Table.Keys);
            Assert.All(s.Table.Values, t => Assert.Equal(["accuracy", "sensitivity", "specificity", "auc"], t.Keys));
            Assert.InRange(s.MeanAuc.Mean, 0, 1);
        }
        // the layer comparison: each layer of tl and tl+mtl; block_2 is the main set itself
        Assert.Equal(["tl block_2", "tl block_5", "tl+mtl block_2", "tl+mtl block_5"],
            result.Layers.Select(l => $"{l.Method} {l.FeatureSet}").Order());
        Assert.Equal(result.Methods.Single(m => m.Method == "tl").MeanAuc.Mean,
            result.Layers.Single(l => l.Method == "tl" && l.FeatureSet == "block_2").MeanAuc.Mean);
        foreach (var f in new[] { "config.json", "comparison.json", "comparison.md", "report.html", "roc-4-6-sc.svg",
            "roc-13-17-tl_mtl.svg",
            "features/tl.block_2.bin", "seed-1/tl.json", "seed-1/tl/model.json", "seed-1/tl/classifier-range-4-6.pt",
            "seed-1/tl_mtl/network.json", "seed-1/tl-random/network.pt", "seed-1/sc/vocabulary.pt", "seed-1/bovw/features/main.bin" })
            Assert.True(File.Exists(Path.Combine(outDir, f)), f);
        var html = File.ReadAllText(Path.Combine(outDir, "report.html"));
        Assert.Contains("Table 2", html);
        Assert.Contains("Layer comparison", html);
        Assert.Contains("roc-11-12-tl.svg", html);
        // the table names each method's own features: taps for the networks, the coding for sc and bovw
        Assert.Equal("block_2", result.Methods.Single(m => m.Method == "tl").FeatureSet);
        Assert.Equal("8 atoms, pyramid 1x1+2x2", result.Methods.Single(m => m.Method == "sc").FeatureSet);
        Assert.Equal("8 words, pyramid 1x1+2x2", result.Methods.Single(m => m.Method == "bovw").FeatureSet);
        using (var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "comparison.json"))))
            Assert.Equal(5, doc.RootElement.GetProperty("methods").GetArrayLength());

        // a finished comparison resumes from its results, without extracting or training again
        var stamp = File.GetLastWriteTimeUtc(Path.Combine(outDir, "seed-1/tl_mtl/network.pt"));
        var again = new TermsComparison().Run(manifest, data.Config, [TermMethods.TlMtl, TermMethods.Tl], 1, layers: true, outDir,
            resume: true);
        Assert.Equal(result.Methods.Single(m => m.Method == "tl+mtl").MeanAuc.Mean, again.Methods[0].MeanAuc.Mean);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(Path.Combine(outDir, "seed-1/tl_mtl/network.pt")));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void TrainEvaluateAndPredictPerImageAndPerBagFromTheCommandLine()
    {
        var model = Path.Combine(dir, "model");
        var (code, stdout, stderr) = CliRunner.Run("terms", "train", data.Manifest, "--method", "tl-random", "--out", model, "--preset",
            "demo",
            "--config", data.ConfigFile);
        Assert.True(code == 0, stderr);
        Assert.Contains("tl-random: mean AUC", stdout);
        Assert.True(File.Exists(Path.Combine(model, "evaluation.json")));

        (code, stdout, stderr) = CliRunner.Run("terms", "evaluate", model, Path.Combine(model, "split.csv"));
        Assert.True(code == 0, stderr);
        // the model's own test split: the same figures as training reported
        var trained = JsonFile.Read<TermOutcome>(Path.Combine(model, "evaluation.json"));
        Assert.Contains($"mean AUC {trained.MeanAuc:F4}", stdout);

        var csv = Path.Combine(dir, "out", "terms.csv");
        (code, stdout, stderr) = CliRunner.Run("terms", "predict", model, data.Manifest, "--out", csv);
        Assert.True(code == 0, stderr);
        var manifest = Manifest.Load(data.Manifest);
        int inRanges = manifest.Rows.Count(r => r.Range is 2 or 5 or 6);
        var lines = File.ReadAllLines(csv);
        Assert.StartsWith("path,bag,range,task,", lines[0]);
        Assert.Equal(inRanges, lines.Length - 1);
        // images of other ranges have no classifiers: skipped and listed with the reason
        var failures = File.ReadAllLines(Path.Combine(dir, "out", "terms.failures.csv"));
        Assert.Equal(manifest.Rows.Count - inRanges, failures.Length - 1);
        Assert.Contains("no classifiers for stage range", failures[1]);
        Assert.Contains($"predicted {inRanges} of {manifest.Rows.Count} images", stdout);

        // per bag: the mean of its images' scores
        var header = lines[0].Split(',');
        var images = lines.Skip(1).Select(l => l.Split(',')).ToList();
        var bags = File.ReadAllLines(Path.Combine(dir, "out", "terms.bags.csv"));
        Assert.StartsWith("bag,range,task,images,", bags[0]);
        Assert.Equal(header[4..], bags[0].Split(',')[4..]);
        foreach (var line in bags.Skip(1))
        {
            var cells = line.Split(',');
            var mine = images.Where(i => i[1] == cells[0]).ToList();
            Assert.Equal(mine.Count, int.Parse(cells[3], CultureInfo.InvariantCulture));
            for (int c = 4; c < header.Length; c++)
            {
                double mean = mine.Average(i => double.Parse(i[c], CultureInfo.InvariantCulture));
                Assert.Equal(mean, double.Parse(cells[c], CultureInfo.InvariantCulture), 3);
            }
        }
        AssertBagScoresFile(csv, model, manifest);
        AssertBagScoresFile(Path.Combine(dir, "out", "terms.bags.csv"), model, manifest);

        // without a bag column, an image's bag is GENE_RANGE, the bag workflow's id
        var noBags = Path.Combine(dir, "no-bags.csv");
        File.WriteAllLines(noBags, new[] { "path,range,gene" }.Concat(manifest.Rows.Where(r => r.Range == 5 && r.Gene is not null).Take(4)
            .Select(r => $"{manifest.FullPath(r)},5,{r.Gene}")));
        var noBagsOut = Path.Combine(dir, "no-bags-out.csv");
        (code, _, stderr) = CliRunner.Run("terms", "predict", model, noBags, "--out", noBagsOut);
        Assert.True(code == 0, stderr);
        var noBagRows = File.ReadAllLines(noBagsOut).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(4, noBagRows.Count);
        Assert.All(noBagRows, r => Assert.Equal(manifest.Rows.First(m => manifest.FullPath(m) == r[0]).Gene + "_5", r[1]));
        Assert.True(File.Exists(Path.Combine(dir, "no-bags-out.bags.csv")));

        // a folder without ranges: --range says which classifiers; an unreadable file is skipped, not fatal
        var folder = Path.Combine(dir, "folder");
        Directory.CreateDirectory(folder);
        var some = manifest.Rows.Where(r => r.Range == 5).Take(3).ToList();
        foreach (var r in some) File.Copy(manifest.FullPath(r), Path.Combine(folder, Path.GetFileName(r.Path)));
        File.WriteAllText(Path.Combine(folder, "broken.png"), "not a png");
        var folderCsv = Path.Combine(dir, "folder.csv");
        (code, stdout, stderr) = CliRunner.Run("terms", "predict", model, folder, "--out", folderCsv, "--range", "5");
        Assert.True(code == 0, stderr);
        Assert.Equal(4, File.ReadAllLines(folderCsv).Length);
        Assert.Contains("broken.png", File.ReadAllText(Path.Combine(dir, "folder.failures.csv")));
        Assert.Contains("no stage range", CliRunner.Fails(1, CliRunner.Run("terms", "predict", model, folder, "--out", folderCsv)));
    }

    /// <summary>
    /// The contract of the bag workflow's `bags evaluate --scores NAME=FILE`: a 'bag' or 'path' column (a path relative to
    /// the file's folder or absolute, naming an image of the manifest) and, for every term of the model, a column named
    /// exactly as the term whose every cell is a probability.
    /// </summary>
    private static void AssertBagScoresFile(string file, string model, Manifest manifest)
    {
        var (info, _) = TermsModelInfo.Load(model);
        var lines = File.ReadAllLines(file);
        var header = lines[0].Split(',').ToList();
        int key = header.IndexOf("bag") is >= 0 and var b ? b : header.IndexOf("path");
        Assert.True(key >= 0, $"{file}: no bag or path column");
        var bagIds = manifest.Rows.Select(TermPredictor.BagOf).ToHashSet();
        var paths = manifest.Rows.Select(manifest.FullPath).ToHashSet();
        var folder = Path.GetDirectoryName(file)!;
        foreach (var line in lines.Skip(1))
        {
            var cells = line.Split(',');
            Assert.Equal(header.Count, cells.Length);
            Assert.Contains(cells[key], bagIds);
            if (header.IndexOf("path") is >= 0 and var p) Assert.Contains(Path.GetFullPath(Path.Combine(folder, cells[p])), paths);
            foreach (var term in info.Tasks.SelectMany(t => t.Terms))
            {
                var value = double.Parse(cells[header.IndexOf(term)], NumberStyles.Float, CultureInfo.InvariantCulture);
                Assert.InRange(value, 0, 1);
            }
        }
    }

    [Fact]
    public void BadInputGetsOneLineNamingTheFix()
    {
        // a manifest without terms
        var noTerms = Path.Combine(dir, "no-terms.csv");
        var manifest = Manifest.Load(data.Manifest);
        manifest.WithRows(manifest.Rows.Select(r => r with { Terms = null, Bag = null })).Save(noTerms);
        var line = CliRunner.Fails(1, CliRunner.Run("terms", "compare", noTerms, "--out", Path.Combine(dir, "a"), "--config",
            data.ConfigFile));
        Assert.Equal($"error: '{noTerms}' has no CV terms (column 'terms', ';'-separated): the terms workflow learns to annotate images " +
            "with terms, so it needs images annotated with them", line);

        // a term no training image of its range carries
        var config = Path.Combine(dir, "terms.json");
        File.WriteAllText(config, "{\"terms\": {\"4-6\": [\"ventral nerve cord\"]}, \"ranges\": [2]}");
        line = CliRunner.Fails(1, CliRunner.Run("terms", "train", data.Manifest, "--out", Path.Combine(dir, "b"), "--config", config));
        Assert.StartsWith("error: term 'ventral nerve cord' appears in no training image of range 4-6 (", line);
        Assert.Contains("config 'terms'", line);

        // weights of another architecture, with and without a record beside them
        using (var scope = TorchRuntime.NewDisposeScope())
        using (var resnet = new ImageNetResNet(ImageNetResNetConfig.ResNet18(10)))
        {
            resnet.Save(Path.Combine(dir, "r18.pth"));
            new WeightsStore(dir).Save(resnet, new WeightsRecord("resnet18", 10, [], "test", "random", "random", "RGB", "now"),
                Path.Combine(dir, "r18.pt"));
        }
        foreach (var (file, expected) in new[]
        {
            ("r18.pth", $"'{Path.Combine(dir, "r18.pth")}' holds a resnet18 state dict (key 'layer3.1.conv2.weight'), not mobilenet_v2"),
            ("r18.pt", $"'{Path.Combine(dir, "r18.pt")}' holds resnet18 weights, not mobilenet_v2"),
        })
        {
            File.WriteAllText(config, JsonSettings.Serialize(new
            {
                weights = Path.Combine(dir, file),
                height = 32,
                width = 80,
                ranges = new[] { 2 },
                taps = new[] { "block_2" },
                layers = Array.Empty<string>()
            }));
            line = CliRunner.Fails(1, CliRunner.Run("terms", "train", data.Manifest, "--method", "tl", "--out", Path.Combine(dir, "c"),
                "--preset", "demo", "--config", config));
            Assert.Equal($"error: {expected}", line);
        }

        // an unknown tap lists the network's own
        File.WriteAllText(config, JsonSettings.Serialize(new { weights = data.Weights, taps = new[] { "21" } }));
        line = CliRunner.Fails(1, CliRunner.Run("terms", "extract", data.Manifest, "--out", Path.Combine(dir, "d"), "--preset", "demo",
            "--config", config));
        Assert.Contains("'21'", line);
        Assert.Contains("block_5", line);

        Assert.Contains("unknown method 'svm'", CliRunner.Fails(1, CliRunner.Run("terms", "compare", data.Manifest, "--out",
            Path.Combine(dir, "e"), "--methods", "tl,svm")));
        Assert.Contains("is not a trained terms model", CliRunner.Fails(1, CliRunner.Run("terms", "predict", dir, data.Manifest,
            "--out", Path.Combine(dir, "f.csv"))));
    }
}

public class TermsNetworkTests(TermsData data) : TempFolderTest, IClassFixture<TermsData>
{
    [Fact]
    [Trait("Category", "Slow")]
    public void Vgg16LayersAreTappedByThePapersNumbersFromAnImportedFile()
    {
        // a torchvision-layout VGG16 state dict without a record beside it, as a user's vgg16-397923af.pth (random weights here)
        var weights = Path.Combine(dir, "vgg16.pth");
        using (var scope = TorchRuntime.NewDisposeScope())
        {
            TorchRuntime.ManualSeed(2);
            using var vgg = new Vgg16();
            vgg.Save(weights);
        }
        var manifest = Manifest.Load(data.Manifest);
        var small = Path.Combine(dir, "six.csv");
        new Manifest(manifest.Rows.Take(6), manifest.BaseDirectory).Save(small);
        var config = Path.Combine(dir, "vgg.json");
        File.WriteAllText(config, JsonSettings.Serialize(new
        {
            weights,
            height = 32,
            width = 32,
            taps = new[] { "21" },
            layers = new[] { "17", "pool4" }
        }));
        var outDir = Path.Combine(dir, "features");
        var (code, stdout, stderr) = CliRunner.Run("terms", "extract", small, "--out", outDir, "--config", config, "--layers");
        Assert.True(code == 0, stderr);
        // at 32 x 32: layer 21 (relu4_2) is 512 x 4 x 4, 17 (pool3) 256 x 4 x 4, 24 (pool4) 512 x 2 x 2
        var main = FeatureFile.Open(Path.Combine(outDir, "features.bin"));
        Assert.Equal((6, 8192), (main.Rows, main.Columns));
        Assert.Equal(4096, FeatureFile.Open(Path.Combine(outDir, "features.17.bin")).Columns);
        Assert.Equal(2048, FeatureFile.Open(Path.Combine(outDir, "features.pool4.bin")).Columns);
        Assert.Contains("21: 6 x 8192", stdout);

        // the values are VGG16's relu4_2 of the ImageNet-normalised image
        using var s = TorchRuntime.NewDisposeScope();
        var cfg = TermsConfig.Load(config, new TermsConfig());
        using var net = (Vgg16)PretrainedWeights.Load(cfg.Architecture, weights);
        var loader = new ImageBatchLoader(Manifest.Load(small), cfg.Loader(), rows: [0]);
        foreach (var batch in loader.Epoch(0))
            using (batch)
            {
                using var noGrad = Autograd.NoGrad();
                var expected = net.Taps(batch.Images, ["relu4_2"])["relu4_2"].Flatten(1);
                var found = main.ReadRows([0]);
                Assert.True(found.Sub(expected).Abs().Max().Item() <= 1e-5 * Math.Max(1, expected.Abs().Max().Item()));
            }
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void RealCellTypesRunAsOneVsRestTermsWithLabelsAsTerms()
    {
        // BCCD white-blood-cell crops (real JPEGs): each class a term, one task over the whole set
        var root = Path.Combine(TestPaths.SharedData, "bccd-wbc");
        var rows = Directory.GetDirectories(root).Order().SelectMany(d => Directory.GetFiles(d, "*.jp*g").Order().Take(8)
            .Select(f => new ManifestRow(f, Label: Path.GetFileName(d)))).ToList();
        var manifest = Path.Combine(dir, "wbc.csv");
        new Manifest(rows, dir).Save(manifest);
        var config = Path.Combine(dir, "wbc.json");
        File.WriteAllText(config, JsonSettings.Serialize(new
        {
            weights = data.Weights,
            height = 48,
            width = 48,
            taps = new[] { "block_5" },
            layers = Array.Empty<string>(),
            classifier = new { members = 3, lambdas = new[] { 0.1 } },
            coding = new
            {
                height = 48,
                width = 48,
                words = 8,
                dictionary_sample = 500,
                dictionary_rounds = 1,
                coding_iterations = 10,
                pyramid_levels = new[] { 1 }
            },
            test_share = 0.4,
        }));
        var (code, stdout, stderr) = CliRunner.Run("terms", "compare", manifest, "--out", Path.Combine(dir, "run"), "--seeds", "1",
            "--methods", "sc,tl", "--preset", "demo", "--config", config, "--labels-as-terms");
        Assert.True(code == 0, stderr);
        var set = TermTaskSet.Build(Manifest.Load(manifest), TermsConfig.Load(config, TermsConfig.Demo) with
        {
            LabelsAsTerms = true,
            TestShare = 0.4
        }, 1);
        var task = Assert.Single(set.Tasks);
        Assert.Equal("all", task.Name);
        Assert.Equal(Directory.GetDirectories(root).Length, task.Terms.Count);
        Assert.Contains("| auc | tl | ", stdout);
        Assert.True(File.Exists(Path.Combine(dir, "run", "roc-all-tl.svg")));
    }
}
