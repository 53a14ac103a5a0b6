using System.Globalization;
using InSitu.Cli;
using InSitu.Data;
using InSitu.Models;
using InSitu.Torch.Onnx;
using InSitu.Training;
using InSitu.Workflows.Stages;
using Microsoft.ML.OnnxRuntime;

namespace InSitu.Tests.Workflows.Stages;

/// <summary>`insitu model export --onnx`: a trained stage model as an ONNX file that ONNX Runtime runs on the images
/// `stage predict` reads, with the same results; and the errors of a missing model or an unwritable output.</summary>
public class StageModelExportTests : TempFolderTest
{
    private static StageConfig Tiny(StageNetwork network) => StageConfig.Demo with { BaseWidth = 4, Model = network };

    /// <summary>A stage model trained here for two epochs on random images, saved as `stage train` saves it.</summary>
    private string TrainedModel(StageNetwork network)
    {
        var config = Tiny(network);
        TorchRuntime.ManualSeed(21);
        using var net = new ResNet(config.Network(PreciseStage.Count));
        using (var scope = TorchRuntime.NewDisposeScope())
        {
            var x = Factory.Randn([32, 1, config.Height, config.Width]);
            var y = Tensor.FromArray(Enumerable.Range(0, 32).Select(i => (long)(i % PreciseStage.Count)).ToArray());
            TrainingHelpers.Fit(net, new TrainingConfig { Epochs = 2, BatchSize = 16, LearningRate = 0.05, Milestones = [2] },
                Path.Combine(dir, "training"), x, y, x, y);
        }
        var run = Directory.CreateDirectory(Path.Combine(dir, "run")).FullName;
        StageModelInfo.Save(run, "model", StageMethods.Plain, config, net);
        return run;
    }

    /// <summary>Grey PNGs of the model's size with random pixels; returns their pixels / 255, as [n, 1, H, W].</summary>
    private static float[] RandomImages(string folder, int n, StageConfig config)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(5);
        var all = new List<float>();
        for (int i = 0; i < n; i++)
        {
            var bytes = new byte[config.Height * config.Width];
            random.NextBytes(bytes);
            using var image = Tensor.FromArray(bytes, config.Height, config.Width);
            ImageIO.Write(Path.Combine(folder, $"{i:D2}.png"), image);
            all.AddRange(bytes.Select(b => b / 255f));
        }
        return all.ToArray();
    }

    [Theory]
    [InlineData(StageNetwork.Paper)]
    [InlineData(StageNetwork.ResNet18)]
    public void TheExportedModelGivesStagePredictsProbabilitiesOnTheSameImages(StageNetwork network)
    {
        var run = TrainedModel(network);
        var onnx = Path.Combine(dir, "stage.onnx");
        var (code, stdout, stderr) = CliRunner.Run("model", "export", run, "--onnx", onnx, "--check");
        Assert.True(code == 0, stderr);
        Assert.Contains($"plain model (", stdout);
        Assert.Matches(@"check: ONNX Runtime 1\.31\.1 on 4 random images: max abs logit difference \d\.\d\de-\d\d " +
            @"\(largest logit \d+\.\d{3}, tolerance \d\.\d\de-0[34]\)", stdout);

        var config = Tiny(network);
        var pixels = RandomImages(Path.Combine(dir, "images"), 3, config);
        var csv = Path.Combine(dir, "stages.csv");
        Assert.Equal(0, CliRunner.Run("stage", "predict", run, Path.Combine(dir, "images"), "--out", csv).code);
        using var runner = new OnnxRuntimeRunner();
        var logits = runner.Run(onnx, "image", pixels, [3, 1, config.Height, config.Width]);
        var rows = File.ReadAllLines(csv).Skip(1).ToArray();
        Assert.Equal(3, rows.Length);
        for (int i = 0; i < 3; i++)
        {
            var row = logits.AsSpan(i * PreciseStage.Count, PreciseStage.Count).ToArray();
            var exp = row.Select(v => Math.Exp(v - row.Max())).ToArray();
            var fields = rows[i].Split(',');
            Assert.EndsWith($"{i:D2}.png", fields[0]);
            var predicted = fields.Skip(3).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            for (int s = 0; s < PreciseStage.Count; s++)
                // the CSV holds 5 decimals
                Assert.True(Math.Abs(exp[s] / exp.Sum() - predicted[s]) <= 1e-5 + 1e-6,
                    $"image {i}, stage {PreciseStage.FromClass(s)}: ONNX Runtime {exp[s] / exp.Sum()}, stage predict {predicted[s]}");
        }
    }

    [Fact]
    public void TheFileDeclaresItsInputOutputAndTheStagesOfItsLogits()
    {
        var run = TrainedModel(StageNetwork.Paper);
        var onnx = Path.Combine(dir, "stage.onnx");
        var result = StageModelExport.Export(run, onnx, "9.9.9");
        Assert.Null(result.Check);
        Assert.DoesNotContain(result.Graph.Nodes, n => n.OpType == "BatchNormalization");
        Assert.Equal(new FileInfo(onnx).Length, result.Bytes);
        using var session = new InferenceSession(onnx);
        Assert.Equal(["image"], session.InputMetadata.Keys);
        Assert.Equal([-1, 1, 32, 80], session.InputMetadata["image"].Dimensions);
        Assert.Equal(["batch", "", "", ""], session.InputMetadata["image"].SymbolicDimensions);
        Assert.Equal([-1, 14], session.OutputMetadata["logits"].Dimensions);
        var meta = session.ModelMetadata;
        Assert.Equal("InSitu", meta.ProducerName);
        Assert.Equal("4,5,6,7,8,9,10,11,12,13,14,15,16,17", meta.CustomMetadataMap["output_stages"]);
        Assert.Equal("0.5", meta.CustomMetadataMap["input_mean"]);
        Assert.Equal("0.25", meta.CustomMetadataMap["input_std"]);
        Assert.Contains("pixels scaled to [0, 1]", meta.Description);
    }

    /// <summary>A runtime that disagrees with InSitu, or fails, as a broken exporter or runtime would.</summary>
    private sealed class BrokenRunner(bool fails) : IOnnxRunner
    {
        public string Name => "test runtime";

        public float[] Run(string modelPath, string inputName, float[] input, long[] shape)
        {
            using var ort = new OnnxRuntimeRunner();
            var logits = ort.Run(modelPath, inputName, input, shape);
            if (fails) throw new InvalidOperationException("no kernel for op Conv");
            logits[^1] += 0.01f;
            return logits;
        }
    }

    [Fact]
    public void AFileThatFailsItsCheckIsNotKept()
    {
        var run = TrainedModel(StageNetwork.Paper);
        var onnx = Path.Combine(dir, "stage.onnx");
        var e = Assert.Throws<InvalidDataException>(() => StageModelExport.Export(run, onnx, "0", new BrokenRunner(fails: false)));
        Assert.Matches(@"^test runtime's logits for the exported '.*stage\.onnx' differ from InSitu's by 0\.01\d* \(tolerance .*\); " +
            "the file was not kept$", e.Message);
        Assert.False(File.Exists(onnx));
        Assert.Equal(["model.json", "model.pt"], Directory.GetFiles(run).Select(Path.GetFileName).Order());
        Assert.StartsWith($"test runtime could not run the exported '{onnx}' (not kept): no kernel for op Conv",
            Assert.Throws<InvalidOperationException>(() => StageModelExport.Export(run, onnx, "0", new BrokenRunner(fails: true))).Message);
        Assert.Empty(Directory.GetFiles(dir));
    }

    private string UntrainedModel()
    {
        var run = Directory.CreateDirectory(Path.Combine(dir, "untrained")).FullName;
        using var net = new ResNet(Tiny(StageNetwork.Paper).Network(PreciseStage.Count));
        StageModelInfo.Save(run, "model", StageMethods.Plain, Tiny(StageNetwork.Paper), net);
        return run;
    }

    [Fact]
    public void AMissingModelIsOneLineNamingIt()
    {
        var missing = Path.Combine(dir, "no-such-run");
        var onnx = Path.Combine(dir, "m.onnx");
        Assert.StartsWith($"error: '{missing}' is not a trained stage model (no model.json)",
            CliRunner.Fails(1, CliRunner.Run("model", "export", missing, "--onnx", onnx)));
        Assert.False(File.Exists(onnx));
        Assert.Equal("error: Option '--onnx' is required.", CliRunner.Fails(1, CliRunner.Run("model", "export", missing)));
    }

    [Fact]
    public void AnUnwritableOutputIsOneLineNamingIt()
    {
        var run = UntrainedModel();
        var notAFolder = Path.Combine(dir, "file.txt");
        File.WriteAllText(notAFolder, "");
        var cases = new (string onnx, string message)[]
        {
            (Path.Combine(dir, "missing", "m.onnx"), $"its folder '{Path.Combine(dir, "missing")}' does not exist"),
            (Path.Combine(notAFolder, "m.onnx"), $"'{notAFolder}' is a file, not a folder"),
            (dir, "it is a folder; name the .onnx file to write"),
            // a folder where no file can be made, even by root
            ("/proc/insitu-test.onnx", "Could not find file"),
        };
        foreach (var (onnx, message) in cases)
        {
            var line = CliRunner.Fails(1, CliRunner.Run("model", "export", run, "--onnx", onnx));
            Assert.StartsWith($"error: cannot write '{onnx}': ", line);
            Assert.Contains(message, line);
        }
        Assert.Equal(["file.txt"], Directory.GetFiles(dir).Select(Path.GetFileName));
    }
}
