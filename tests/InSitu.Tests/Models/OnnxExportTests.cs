using InSitu.Cli;
using InSitu.Models;
using InSitu.Torch.NN;
using InSitu.Torch.Onnx;

namespace InSitu.Tests.Models;

/// <summary>
/// Exported networks run in ONNX Runtime and give InSitu's outputs: the ResNets (batch norms folded or exported as
/// BatchNormalization nodes) and every engine layer the exporter knows, at two batch sizes (the batch is free).
/// </summary>
public class OnnxExportTests : TempFolderTest
{
    /// <summary>Two float32 engines sum in different orders; their outputs here differ by about 1e-6.</summary>
    private const double Tolerance = 1e-4;

    private static OnnxModelSpec Spec(long channels, long height, long width, long outputs) =>
        new("input", [OnnxDimension.Free("N"), channels, height, width], "output", [OnnxDimension.Free("N"), outputs]);

    /// <summary>Exports <paramref name="model"/> (eval mode) and checks ORT against its forward pass on batches of 1 and 3.</summary>
    private OnnxGraph ExportAndCompare(Module<Tensor, Tensor> model, OnnxModelSpec spec, Action<Module<Tensor, Tensor>>? fold = null)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var batches = new[] { 1, 3 }.Select(n => Factory.Randn([n, spec.InputShape[1].Size, spec.InputShape[2].Size,
            spec.InputShape[3].Size])).ToList();
        var expected = batches.Select(x => model.Forward(x).ToFloatArray()).ToList();
        fold?.Invoke(model);
        var path = Path.Combine(dir, "model.onnx");
        var graph = OnnxExport.Save(model, spec, path, "test");
        using var runner = new OnnxRuntimeRunner();
        for (int b = 0; b < batches.Count; b++)
        {
            var actual = runner.Run(path, "input", batches[b].ToFloatArray(), batches[b].Shape);
            Assert.Equal(expected[b].Length, actual.Length);
            for (int i = 0; i < actual.Length; i++)
                Assert.True(Math.Abs(expected[b][i] - actual[i]) <= Tolerance,
                    $"batch {b}, element {i}: ONNX Runtime gives {actual[i]}, InSitu {expected[b][i]}");
        }
        return graph;
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void ARandomResNetGivesInSitusLogitsInOnnxRuntime(bool resnet18, bool foldBatchNorms)
    {
        TorchRuntime.ManualSeed(11);
        // 32x48: the last stage is 4x6, so the 4x4 pooling drops a remainder, as it does at 128x320
        var config = resnet18 ? ResNetConfig.CifarResNet18(3, 5, 32, 48, baseWidth: 4) : ResNetConfig.Paper(1, 5, 32, 48, baseWidth: 4);
        using var net = new ResNet(config);
        BatchNormStatistics.Randomise(net);
        net.Eval();
        int batchNorms = net.NamedModules().Count(m => m.module is BatchNorm2d);
        var graph = ExportAndCompare(net, Spec(config.InChannels, 32, 48, 5), foldBatchNorms ? m => ((ResNet)m).FuseForInference() : null);
        Assert.Equal(foldBatchNorms ? 0 : batchNorms, graph.Nodes.Count(n => n.OpType == "BatchNormalization"));
        Assert.Equal(resnet18 ? 8 : 4, graph.Nodes.Count(n => n.OpType == "Add" && n.Name.EndsWith(".add", StringComparison.Ordinal)));
        Assert.Equal("output", graph.Nodes[^1].Output);
        Assert.Contains(graph.Initializers, i => i.Name == "layer2.0.shortcut.0.weight");
    }

    [Fact]
    public void EveryEngineLayerTheExporterKnowsGivesInSitusOutputs()
    {
        TorchRuntime.ManualSeed(12);
        using var model = new Sequential(
            new Conv2d(2, 6, 3, stride: 2, padding: 1),
            new BatchNorm2d(6),
            new LeakyReLU(0.1),
            new MaxPool2d(3, 2, 1),
            new Conv2d(6, 6, new long[] { 3, 1 }, new long[] { 1, 1 }, new long[] { 2, 0 }, new long[] { 2, 1 }, groups: 2, bias: false),
            new Sigmoid(),
            new AvgPool2d(3, 1, 1),
            new Sequential(new Tanh(), new Identity()),
            new ReLU(),
            new AdaptiveAvgPool2d(1, 1),
            new Flatten(),
            new Dropout(0.5),
            new Linear(6, 4),
            new Linear(4, 3, bias: false));
        BatchNormStatistics.Randomise(model);
        model.Eval();
        var graph = ExportAndCompare(model, Spec(2, 13, 10, 3));
        Assert.Equal(["Conv", "BatchNormalization", "LeakyRelu", "MaxPool", "Conv", "Sigmoid", "AveragePool", "Tanh", "Relu",
            "GlobalAveragePool", "Flatten", "MatMul", "Add", "MatMul"], graph.Nodes.Select(n => n.OpType));
    }

    [Fact]
    public void AnUnsupportedModuleIsRefusedNamingItsPath()
    {
        using var model = new Sequential(new Conv2d(1, 2, 3), new Sequential(new ReLU(), new GELU()));
        model.Eval();
        var e = Assert.Throws<InvalidOperationException>(() => OnnxExport.Build(model, Spec(1, 8, 8, 2)));
        Assert.StartsWith("ONNX export does not support the module '1.1' (GELU); supported: Conv2d,", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        using var pool = new Sequential(new AdaptiveAvgPool2d(2, 2));
        pool.Eval();
        Assert.StartsWith("ONNX export does not support the module '0' (AdaptiveAvgPool2d with an output size other than 1x1)",
            Assert.Throws<InvalidOperationException>(() => OnnxExport.Build(pool, Spec(1, 8, 8, 2))).Message);
    }

    [Fact]
    public void AModelThatAddsNoNodeStillWritesItsOutput()
    {
        using var model = new Sequential(new Dropout(0.3), new Identity());
        model.Eval();
        var spec = new OnnxModelSpec("input", [OnnxDimension.Free("N"), 2], "output", [OnnxDimension.Free("N"), 2]);
        var path = Path.Combine(dir, "identity.onnx");
        var graph = OnnxExport.Save(model, spec, path, "test");
        Assert.Equal([new OnnxNode("output", "Identity", ["input"], "output", [])], graph.Nodes, (a, b) =>
            a.OpType == b.OpType && a.Inputs.SequenceEqual(b.Inputs) && a.Output == b.Output);
        using var runner = new OnnxRuntimeRunner();
        Assert.Equal([1f, -2f, 3f, 4f], runner.Run(path, "input", [1f, -2f, 3f, 4f], [2, 2]));
    }

    [Fact]
    public void AModelInTrainingModeIsRefused()
    {
        using var model = new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2));
        model.Eval();
        model[1].Train();
        Assert.StartsWith("module '1' is in training mode: call Eval() before exporting",
            Assert.Throws<InvalidOperationException>(() => OnnxExport.Build(model, Spec(1, 8, 8, 2))).Message);
    }

    [Fact]
    public void TheInputNormalisationIsTheLoadersArithmetic()
    {
        // (x - mean) * (1 / std) per channel, then the network: here an identity, so the output is the normalised input
        using var model = new Sequential(new Flatten());
        model.Eval();
        var spec = new OnnxModelSpec("input", [OnnxDimension.Free("N"), 3, 2, 2], "output", [OnnxDimension.Free("N"), 12])
        {
            Mean = [0.5f, 0.25f, 0f],
            Std = [0.25f, 0.5f, 3f],
        };
        var path = Path.Combine(dir, "norm.onnx");
        OnnxExport.Save(model, spec, path, "test");
        var x = Enumerable.Range(0, 12).Select(i => i / 11f).ToArray();
        using var runner = new OnnxRuntimeRunner();
        var y = runner.Run(path, "input", x, [1, 3, 2, 2]);
        for (int i = 0; i < 12; i++)
        {
            int c = i / 4;
            Assert.Equal((x[i] - spec.Mean[c]) * (1 / spec.Std[c]), y[i]);
        }
        spec = spec with { Std = [0.25f, 0f, 1f] };
        Assert.Contains("std values must be positive", Assert.Throws<ArgumentException>(() => OnnxExport.Build(model, spec)).Message);
    }
}
