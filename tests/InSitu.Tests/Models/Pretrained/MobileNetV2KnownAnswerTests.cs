using System.Text.Json;
using InSitu.Models;
using InSitu.Models.Pretrained;

namespace InSitu.Tests.Models.Pretrained;

/// <summary>
/// Runs only where `insitu weights get mobilenet_v2` (which `make setup` runs) has kept the nsfwjs tarball, and says
/// so otherwise: tests never use the network.
/// </summary>
public sealed class NsfwjsPackageFactAttribute : FactAttribute
{
    public static string Tarball => WeightsStore.Default().PackageCache(NsfwjsPackage.TarballName);

    public NsfwjsPackageFactAttribute()
    {
        if (!File.Exists(Tarball))
            Skip = $"no {NsfwjsPackage.TarballName} at {Tarball}: run `./insitu weights get mobilenet_v2` (make setup does)";
    }
}

/// <summary>The kept nsfwjs tarball, checked, unpacked and decoded once for all the known-answer tests.</summary>
public sealed class DecodedNsfwjs : IDisposable
{
    private readonly Lazy<MobileNetV2> _model = new(() =>
    {
        var package = NsfwjsPackage.Open(File.ReadAllBytes(NsfwjsPackageFactAttribute.Tarball), NsfwjsPackageFactAttribute.Tarball);
        var (model, _) = MobileNetV2Weights.FromPackage(package);
        model.Eval();
        return model;
    });

    public MobileNetV2 Model => _model.Value;

    public void Dispose()
    {
        if (_model.IsValueCreated) _model.Value.Dispose();
    }
}

/// <summary>
/// The known answers of tests/fixtures/make_mobilenet_fixture.sh: what TF.js 4.22.0 computes with nsfwjs 4.4.0's own
/// loader on three photos (224x224 PNGs, the exact inputs). InSitu's decoder, run on the published package, must
/// reproduce TF.js's weights exactly, and its MobileNetV2 the probabilities, logits and tap outputs within float32
/// summation-order error.
/// </summary>
public class MobileNetV2KnownAnswerTests(DecodedNsfwjs decoded) : IClassFixture<DecodedNsfwjs>
{
    // TF.js's CPU kernels and libtorch sum in different orders through 52 layers. Measured worst gaps: 1.2e-7 on a
    // probability, 5.9e-6 on a logit (of magnitude up to 7.4), 1.6e-6 of a tap's scale.
    private const double ProbabilityTolerance = 1e-6, LogitTolerance = 1e-5, TapTolerance = 1e-5;

    private static readonly Lazy<JsonElement> Fixture = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(FixtureCase.PathOf("pretrained/mobilenet_v2_tfjs.json")));
        return doc.RootElement.Clone();
    });

    private static double[] Rows(string key) =>
        Fixture.Value.GetProperty(key).EnumerateArray().SelectMany(r => r.EnumerateArray()).Select(v => v.GetDouble()).ToArray();

    private static Tensor Images() => Tensor.Stack(Fixture.Value.GetProperty("images").EnumerateArray()
        .Select(f => ImageIO.ToChw(ImageIO.ReadRgb8(FixtureCase.PathOf("pretrained/" + f.GetString())))).ToList());

    [NsfwjsPackageFact]
    public void DecodedWeightsAreTfjsWeights()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var model = decoded.Model;
        var state = model.StateDict().ToDictionary(e => e.name, e => e.tensor);
        int checkedTensors = 0;
        foreach (var w in Fixture.Value.GetProperty("weights").EnumerateArray())
        {
            var name = w.GetProperty("name").GetString()!;
            var (layer, param) = (name[..name.LastIndexOf('/')], name[(name.LastIndexOf('/') + 1)..]);
            var key = layer + "." + param switch
            {
                "kernel" or "depthwise_kernel" or "gamma" => "weight",
                "beta" or "bias" => "bias",
                "moving_mean" => "running_mean",
                "moving_variance" => "running_var",
                _ => throw new InvalidDataException(name),
            };
            var values = state[key].ToFloatArray();
            Assert.Equal(w.GetProperty("count").GetInt32(), values.Length);
            // Keras's first and last elements stay first and last in PyTorch's layouts
            Assert.Equal(w.GetProperty("first").GetSingle(), values[0]);
            Assert.Equal(w.GetProperty("last").GetSingle(), values[^1]);
            double sum = 0, squares = 0;
            foreach (var v in values)
            {
                sum += v;
                squares += (double)v * v;
            }
            // float64 sums of the same float32 values in another order
            Assert.Equal(w.GetProperty("sum").GetDouble(), sum, 1e-9 * Math.Max(1, squares));
            Assert.Equal(w.GetProperty("sum_of_squares").GetDouble(), squares, 1e-9 * Math.Max(1, squares));
            checkedTensors++;
        }
        Assert.Equal(266, checkedTensors);
    }

    [NsfwjsPackageFact]
    public void ProbabilitiesAndLogitsAreTfjsOwn()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var model = decoded.Model;
        using var noGrad = Autograd.NoGrad();
        var logits = model.Forward(Images());
        var probabilities = logits.Softmax(1).ToFloatArray();
        var l = logits.ToFloatArray();
        var expectedP = Rows("probabilities");
        var expectedL = Rows("logits");
        Assert.Equal(15, expectedP.Length);
        for (int i = 0; i < 15; i++)
        {
            Assert.True(Math.Abs(expectedP[i] - probabilities[i]) <= ProbabilityTolerance,
                $"probability {i}: {probabilities[i]}, TF.js {expectedP[i]}");
            Assert.True(Math.Abs(expectedL[i] - l[i]) <= LogitTolerance * Math.Max(1, Math.Abs(expectedL[i])),
                $"logit {i}: {l[i]}, TF.js {expectedL[i]}");
        }
        // all three photos are "Neutral" for nsfwjs
        var classes = Fixture.Value.GetProperty("classes").EnumerateArray().Select(c => c.GetString()).ToArray();
        Assert.Equal(MobileNetV2Weights.NsfwjsClasses, classes);
        Assert.All(logits.ArgMax(1).ToLongArray(), c => Assert.Equal(2, c));
    }

    [NsfwjsPackageFact]
    public void TapPointsAreTfjsLayerOutputs()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var model = decoded.Model;
        using var noGrad = Autograd.NoGrad();
        var taps = Fixture.Value.GetProperty("taps").EnumerateObject().ToDictionary(p => p.Name, p => TapSummary.Read(p.Value));
        var got = model.Taps(Images(), taps.Keys.ToList());
        foreach (var (name, summary) in taps) summary.AssertClose(TapSummary.Of(got[name]), name, TapTolerance);
    }
}
