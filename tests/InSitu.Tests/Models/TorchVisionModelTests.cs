using System.Text.Json;
using InSitu.Models;
using InSitu.Torch.NN;

namespace InSitu.Tests.Models;

/// <summary>
/// InSitu's torchvision-layout VGG16, ResNet-18 and ResNet-50 against torchvision 0.14 itself
/// (tests/fixtures/make_torchvision_fixtures.py): the same state-dict keys, shapes, dtypes and order, and with the same
/// formula weights the same outputs and tap-point outputs.
/// </summary>
public class TorchVisionModelTests
{
    private static readonly Lazy<JsonElement> Fixture = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(FixtureCase.PathOf("pretrained/torchvision_models.json")));
        return doc.RootElement.GetProperty("models").Clone();
    });

    private static JsonElement Case(string model) => Fixture.Value.GetProperty(model);

    public static Module Create(string model) => model switch
    {
        "vgg16" => new Vgg16(),
        "resnet18" => new ImageNetResNet(ImageNetResNetConfig.ResNet18()),
        "resnet50" => new ImageNetResNet(ImageNetResNetConfig.ResNet50()),
        _ => throw new ArgumentException(model),
    };

    public static TheoryData<string> Models => new() { "vgg16", "resnet18", "resnet50" };

    [Theory]
    [MemberData(nameof(Models))]
    public void StateDictKeysShapesAndOrderAreTorchvisions(string name)
    {
        using var model = Create(name);
        var expected = Case(name).GetProperty("keys").EnumerateArray()
            .Select(k => (k[0].GetString()!, Tensor.FormatShape(k[1].EnumerateArray().Select(d => d.GetInt64()).ToArray()),
                k[2].GetString()!))
            .ToList();
        var own = model.StateDict().Select(e => (e.name, Tensor.FormatShape(e.tensor.Shape), e.tensor.DType.Name())).ToList();
        Assert.Equal(expected, own);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void FormulaWeightsGiveTorchvisionsOutputsAndTaps(string name)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var c = Case(name);
        using var model = Create(name);
        FormulaWeights.Apply(model);
        model.Eval();
        using var noGrad = Autograd.NoGrad();
        var x = FormulaWeights.Input(c.GetProperty("input_shape").EnumerateArray().Select(v => v.GetInt64()).ToArray());

        var output = model is Vgg16 v ? v.Forward(x) : ((ImageNetResNet)model).Forward(x);
        var expected = c.GetProperty("output").GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        var expectedShape = c.GetProperty("output").GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        // relative to the outputs' scale: logits near zero carry the absolute rounding error of the whole network
        Close.Equal(expected, expectedShape, output, $"{name} output", atol: 1e-5 * expected.Max(Math.Abs));

        // Tap points by torchvision's module paths (VGG16's aliases) or names (ResNets'): every one torchvision hooked.
        var taps = c.GetProperty("taps").EnumerateObject().ToDictionary(p => p.Name, p => TapSummary.Read(p.Value));
        var network = (IHasTapPoints)model;
        var got = network.Taps(x, taps.Keys.ToList());
        foreach (var (tap, summary) in taps)
            summary.AssertClose(TapSummary.Of(got[tap]), $"{name} {tap}", 1e-5);
    }

    [Fact]
    public void Vgg16NumbersItsLayersAsThePaper()
    {
        using var vgg = new Vgg16();
        var paper = Case("vgg16").GetProperty("paper_layers").EnumerateArray()
            .Select(l => (l[1].GetString()!, l[0].GetInt32(), l[2].GetString()!)).ToList();
        Assert.Equal(paper, vgg.PaperLayers);
        // The four layers of seed 001, by number, by name and by torchvision's module path
        Assert.Equal("pool3", vgg.ResolveTap("17"));
        Assert.Equal("relu4_2", vgg.ResolveTap("21"));
        Assert.Equal("pool4", vgg.ResolveTap("24"));
        Assert.Equal("relu5_3", vgg.ResolveTap("30"));
        Assert.Equal("relu4_2", vgg.ResolveTap("features.20"));
        Assert.Equal("fc8", vgg.ResolveTap("36"));
        var error = Assert.Throws<ArgumentException>(() => vgg.ResolveTap("37"));
        Assert.Contains("no tap point '37'", error.Message);
    }

    [Fact]
    public void TapsStopAtTheDeepestOneAskedForAndAcceptAliasesTwice()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        TorchRuntime.ManualSeed(1);
        using var model = new ImageNetResNet(ImageNetResNetConfig.ResNet18(classes: 7));
        model.Eval();
        using var noGrad = Autograd.NoGrad();
        var x = Factory.Randn(new long[] { 1, 3, 40, 48 });
        var taps = model.Taps(x, ["layer2", "layer2.1", "maxpool"]);
        Assert.Equal([1, 128, 5, 6], taps["layer2"].Shape);
        Assert.Equal(taps["layer2"].ToFloatArray(), taps["layer2.1"].ToFloatArray());
        Assert.Equal([1, 64, 10, 12], taps["maxpool"].Shape);
        // A forward hook on fc sees nothing when the deepest tap is layer2: the pass stopped there.
        int fcCalls = 0;
        var fc = model.NamedModules().Single(m => m.name == "fc").module;
        using (((Module<Tensor, Tensor>)fc).RegisterForwardHook((_, _, _) => { fcCalls++; return null; }))
        {
            model.Taps(x, ["layer2"]);
            Assert.Equal(0, fcCalls);
            model.Forward(x);
            Assert.Equal(1, fcCalls);
        }
        Assert.Equal([1, 7], model.Forward(x).Shape);
    }
}
