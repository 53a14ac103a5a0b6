using InSitu.Models;
using InSitu.Models.Pretrained;

namespace InSitu.Tests.Models.Pretrained;

/// <summary>
/// `weights get`'s path without the network: an nsfwjs-like tarball made from a network's own weights is checked,
/// unpacked, decoded, converted to PyTorch's layout and stored, and comes back as the same network.
/// </summary>
public class MobileNetV2PackageTests : TempFolderTest
{
    [Fact]
    public void ASyntheticPackageComesBackAsTheNetworkItWasMadeFrom()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        TorchRuntime.ManualSeed(4);
        using var source = new MobileNetV2(classes: 5);
        // non-trivial batch-norm statistics, so that every kind of tensor differs from its initial value
        foreach (var (key, t) in source.StateDict())
            if (key.EndsWith("running_var", StringComparison.Ordinal)) t.Copy_(Factory.Rand(t.Shape) + 0.5);
            else if (key.EndsWith("running_mean", StringComparison.Ordinal)) t.Copy_(Factory.Randn(t.Shape));
        var tarball = SyntheticNsfwjs.Tarball(source, out var expected);

        // Only the published tarball passes the default check.
        var refused = Assert.Throws<InvalidDataException>(() => NsfwjsPackage.Open(tarball, "fake.tgz"));
        Assert.Contains("fake.tgz: not the published nsfwjs-4.4.0.tgz", refused.Message);

        var package = NsfwjsPackage.Open(tarball, "synthetic.tgz", SyntheticNsfwjs.IntegrityOf(tarball));
        Assert.Equal(266, package.DecodeWeights().Count);
        var (model, record) = MobileNetV2Weights.FromPackage(package);
        using (model)
        {
            foreach (var (key, t) in model.StateDict())
                if (expected.TryGetValue(key, out var values)) Assert.True(values.SequenceEqual(t.ToFloatArray()), $"{key} differs");
                else Assert.EndsWith(".num_batches_tracked", key);
            Assert.Equal(5, record.Classes);
            Assert.Equal(MobileNetV2Weights.NsfwjsClasses, record.ClassNames);
            Assert.Contains("below block_11_expand frozen", record.Description);

            // stored and read back: the same logits
            var store = new WeightsStore(dir);
            var path = store.Save(model, record);
            Assert.Equal(Path.Combine(dir, "mobilenet_v2.pt"), path);
            using var loaded = (MobileNetV2)store.Load("mobilenet_v2");
            model.Eval();
            using var noGrad = Autograd.NoGrad();
            var x = Factory.Rand(new long[] { 1, 3, 224, 224 });
            Assert.Equal(model.Forward(x).ToFloatArray(), loaded.Forward(x).ToFloatArray());
            Assert.Equal("mobilenet_v2", store.Find("mobilenet_v2")!.Architecture);
        }
    }

    [Fact]
    public void APackageOfAnotherNetworkIsRefused()
    {
        var js = SyntheticNsfwjs.Pack(new()
        {
            ["package/dist/models/mobilenet_v2/model.min.js"] = SyntheticNsfwjs.Preamble +
                "{modelTopology:{model_config:{config:{layers:[{name:\"bn\",class_name:\"BatchNormalization\",config:{epsilon:1e-5}}]}}}," +
                "weightsManifest:[]}" + SyntheticNsfwjs.Ending,
        });
        var package = NsfwjsPackage.Open(js, "other.tgz", SyntheticNsfwjs.IntegrityOf(js));
        var error = Assert.Throws<InvalidDataException>(() => MobileNetV2Weights.FromPackage(package));
        Assert.Contains("layer bn (BatchNormalization) is configured differently", error.Message);
    }
}
