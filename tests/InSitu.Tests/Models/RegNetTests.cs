using System.Text.Json;
using InSitu.Models;

namespace InSitu.Tests.Models;

/// <summary>
/// RegNetY-200MF from its design-space parameters, against the published network (Radosavovic et al. 2020: stages of
/// depth 1, 1, 4, 7 and width 24, 56, 152, 368; 3.2 M parameters with a 1000-class head; 0.2 GFLOPs at 224x224) and
/// against torchvision 0.14's RegNet built from the same parameters (tests/fixtures/make_bags_fixtures.py).
/// </summary>
public class RegNetTests
{
    private static readonly Lazy<JsonElement> Fixture = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(FixtureCase.PathOf("bags/regnet_y_200mf.json")));
        return doc.RootElement.Clone();
    });

    private static int[] Ints(string name) => Fixture.Value.GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToArray();

    [Fact]
    public void QuantisationGivesThePublishedStages()
    {
        var stages = RegNetDesign.Y200MF.Stages();
        Assert.Equal(new[] { 1, 1, 4, 7 }, stages.Select(s => s.Depth));
        Assert.Equal(new[] { 24, 56, 152, 368 }, stages.Select(s => s.Width));
        Assert.All(stages, s => Assert.Equal(8, s.GroupWidth));
        // and torchvision derives the same from the same six numbers
        Assert.Equal(Ints("stage_depths"), stages.Select(s => s.Depth));
        Assert.Equal(Ints("stage_widths"), stages.Select(s => s.Width));
        Assert.Equal(Ints("group_widths"), stages.Select(s => s.GroupWidth));
    }

    [Fact]
    public void OtherDesignsQuantiseAsThePaperSays()
    {
        // RegNetX-200MF (d 13, w0 24, wa 36.44, wm 2.49, g 8): the same widths; RegNetY-400MF (d 16, w0 48, wa 27.89,
        // wm 2.09, g 8): 48, 104, 208, 440 with depths 1, 3, 6, 6 (pycls model zoo)
        var y400 = new RegNetDesign(16, 48, 27.89, 2.09, 8).Stages();
        Assert.Equal(new[] { 1, 3, 6, 6 }, y400.Select(s => s.Depth));
        Assert.Equal(new[] { 48, 104, 208, 440 }, y400.Select(s => s.Width));
        // a group width larger than a narrow stage's bottleneck is capped by it
        var narrow = new RegNetDesign(3, 8, 8, 2, 16).Stages();
        Assert.All(narrow, s => Assert.True(s.GroupWidth <= s.BottleneckWidth && s.BottleneckWidth % s.GroupWidth == 0));
        Assert.Throws<ArgumentException>(() => new RegNetDesign(0, 24, 36.44, 2.49, 8).Stages());
        Assert.Throws<ArgumentException>(() => new RegNetDesign(13, 24, 36.44, 1, 8).Stages());
    }

    [Fact]
    public void ParametersAndFlopsAreThePublishedFigures()
    {
        using var net = new RegNet(RegNetDesign.Y200MF, inChannels: 3, classes: 1000);
        var c = ModelComplexity.Measure(net, new long[] { 3, 224, 224 });
        // published: 3.2 M parameters and 0.2 GFLOPs (multiply-adds); torchvision's network: exactly these counts
        Assert.Equal(Fixture.Value.GetProperty("parameters_1000_classes").GetInt64(), c.Parameters);
        Assert.Equal(Fixture.Value.GetProperty("multiply_adds_224").GetInt64(), c.MultiplyAdds);
        Assert.InRange(c.Parameters / 1e6, 3.1, 3.3);
        Assert.InRange(c.MultiplyAdds / 1e9, 0.19, 0.21);
        Assert.Equal(368, net.FeatureWidth);
        Assert.Equal(c.Parameters, c.Parts.Sum(p => p.Parameters));
        Assert.Equal(c.MultiplyAdds, c.Parts.Sum(p => p.MultiplyAdds));
        Assert.Equal(new[] { "stem", "trunk_output", "fc" }, c.Parts.Select(p => p.Name));
    }

    [Fact]
    public void StateDictAndOutputsAreTorchvisions()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        using var net = new RegNet(RegNetDesign.Y200MF, inChannels: 3, classes: 10);
        var expected = Fixture.Value.GetProperty("keys_10_classes").EnumerateArray()
            .Select(k => (k[0].GetString()!, Tensor.FormatShape(k[1].EnumerateArray().Select(d => d.GetInt64()).ToArray()),
                k[2].GetString()!))
            .ToList();
        Assert.Equal(expected, net.StateDict().Select(e => (e.name, Tensor.FormatShape(e.tensor.Shape), e.tensor.DType.Name())));

        FormulaWeights.Apply(net);
        net.Eval();
        using var noGrad = Autograd.NoGrad();
        var x = FormulaWeights.Input(Fixture.Value.GetProperty("input_shape").EnumerateArray().Select(v => v.GetInt64()).ToArray());
        var output = Fixture.Value.GetProperty("output");
        var data = output.GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        var shape = output.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        Close.Equal(data, shape, net.Forward(x), "RegNetY-200MF output", atol: 1e-5 * data.Max(Math.Abs));
    }

    [Fact]
    public void GreyInputAtThePapersSizeGivesPooledFeaturesAndAMap()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        using var net = new RegNet(RegNetDesign.Y200MF, inChannels: 1, classes: 30);
        net.Eval();
        using var noGrad = Autograd.NoGrad();
        var x = Factory.Randn(new long[] { 2, 1, 112, 336 });
        Assert.Equal(new long[] { 2, 368, 4, 11 }, net.FeatureMap(x).Shape);
        Assert.Equal(new long[] { 2, 368 }, net.Features(x).Shape);
        Assert.Equal(new long[] { 2, 30 }, net.Forward(x).Shape);
        Assert.Same(net.FeatureLayer, net.FeatureLayer);
        var error = Assert.Throws<TorchException>(() => net.Forward(Factory.Randn(new long[] { 1, 3, 112, 336 })));
        Assert.Contains("[N, 1, H, W]", error.Message);
    }
}
