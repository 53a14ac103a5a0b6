using System.Text.Json;
using InSitu.Models;
using InSitu.Models.Pretrained;
using InSitu.Tests.Models;

namespace InSitu.Tests.Models.Pretrained;

/// <summary>
/// torchvision weight files: both torch.save formats (zip, and the legacy stream of files like vgg16-397923af.pth, as
/// Python 3 and as Python 2 wrote it) load with exact values, a whole state dict imports into the network of its
/// layout, and files of another architecture, incomplete, missing or corrupt ones are refused by name.
/// </summary>
public class TorchVisionImportTests : TempFolderTest
{
    private static long[] ShapeOf(JsonElement k) => k[1].EnumerateArray().Select(d => d.GetInt64()).ToArray();

    private static List<JsonElement> Keys(string model)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(FixtureCase.PathOf("pretrained/torchvision_models.json")));
        var keys = doc.RootElement.GetProperty("models").GetProperty(model).GetProperty("keys");
        return keys.EnumerateArray().Select(k => k.Clone()).ToList();
    }

    private static Tensor StandIn(JsonElement key) => key[0].GetString() == "layer1.0.conv1.weight"
        ? Factory.Zeros(ShapeOf(key))
        : Factory.Zeros(ShapeOf(key).Select(_ => 1L).ToArray());

    [Theory]
    [InlineData("torchvision_subset_zip.pth")]
    [InlineData("torchvision_subset_legacy.pth")]
    public void TorchSaveFilesOfBothFormatsLoadExactly(string file)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var loaded = Serialization.Load(FixtureCase.PathOf("pretrained/" + file));
        var keys = Keys("resnet18").Take(6).ToList();
        Assert.Equal(keys.Select(k => k[0].GetString()), loaded.Keys);
        for (int ordinal = 0; ordinal < keys.Count; ordinal++)
        {
            var key = keys[ordinal][0].GetString()!;
            var t = loaded[key];
            Assert.Equal(ShapeOf(keys[ordinal]), t.Shape);
            if (t.DType == DType.Int64) Assert.Equal([0L], t.ToLongArray());
            else Assert.Equal(FormulaWeights.Values(key, t.Shape, ordinal), t.ToFloatArray());
        }
    }

    [Fact]
    public void APython2LegacyFileLoadsWithItsStorageView()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var loaded = Serialization.Load(FixtureCase.PathOf("pretrained/torchvision_py2_legacy.pth"));
        Assert.Equal(["features.0.weight", "features.0.bias", "classifier.0.weight", "classifier.0.bias"], loaded.Keys);
        Assert.Equal(FormulaWeights.Values("features.0.weight", [4, 3, 3, 3], 0), loaded["features.0.weight"].ToFloatArray());
        Assert.Equal(FormulaWeights.Values("features.0.bias", [4], 1), loaded["features.0.bias"].ToFloatArray());
        var root = FormulaWeights.Values("classifier.0.weight", [6, 5], 2);
        Assert.Equal(root, loaded["classifier.0.weight"].ToFloatArray());
        // a view of classifier.0.weight's storage at element 7, three long
        Assert.Equal(root[7..10], loaded["classifier.0.bias"].ToFloatArray());
    }

    [Fact]
    public void AWholeStateDictImportsAndIsStored()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        // a ResNet-18 state dict as torchvision's pre-0.4.1 files hold it: no batch counters
        using var source = new ImageNetResNet(ImageNetResNetConfig.ResNet18());
        FormulaWeights.Apply(source);
        var file = Path.Combine(dir, "resnet18-formula.pth");
        Serialization.Save(source.StateDict().Where(e => !e.name.EndsWith("num_batches_tracked", StringComparison.Ordinal)).ToList(), file);

        var (code, stdout, stderr) = CliRunner.Run("weights", "import", "resnet18", file, "--store", Path.Combine(dir, "store"));
        Assert.True(code == 0, stderr);
        Assert.Contains("resnet18: 1000 classes, 11,689,512 parameters", stdout);
        var store = new WeightsStore(Path.Combine(dir, "store"));
        using var imported = (ImageNetResNet)store.Load("resnet18");
        var own = source.StateDict().ToDictionary(e => e.name, e => e.tensor);
        foreach (var (key, t) in imported.StateDict())
            Assert.True(own[key].Eq(t).All().Item() != 0, $"{key} differs after import");
        Assert.Contains("resnet18-formula.pth", store.Find("resnet18")!.Origin);
    }

    [Fact]
    public void AFileOfAnotherArchitectureIsRefusedByName()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        // torchvision's ResNet-50 keys (the fixture's list) with stand-ins of the right rank (and layer1.0.conv1's real
        // shape, which tells ResNet-50 from its wide variants)
        var entries = Keys("resnet50").Select(k => (k[0].GetString()!, StandIn(k))).ToList();
        var file = Path.Combine(dir, "resnet50-0676ba61.pth");
        Serialization.Save(entries, file);
        var line = CliRunner.Fails(1, CliRunner.Run("weights", "import", "vgg16", file, "--store", dir));
        Assert.Equal($"error: '{file}' holds a resnet50 state dict (key 'layer1.0.conv3.weight'), not vgg16", line);
        line = CliRunner.Fails(1, CliRunner.Run("weights", "import", "resnet18", file, "--store", dir));
        Assert.Contains("holds a resnet50 state dict", line);

        var vggKeys = Keys("vgg16").Select(k => (k[0].GetString()!, StandIn(k))).ToList();
        var vgg = Path.Combine(dir, "vgg.pth");
        Serialization.Save(vggKeys, vgg);
        Assert.Equal($"error: '{vgg}' holds a vgg16 state dict (key 'features.28.weight'), not resnet50",
            CliRunner.Fails(1, CliRunner.Run("weights", "import", "resnet50", vgg, "--store", dir)));
        Assert.False(File.Exists(Path.Combine(dir, "resnet50.pt")));
    }

    [Fact]
    public void IncompleteMissingAndCorruptFilesAreRefused()
    {
        var subset = FixtureCase.PathOf("pretrained/torchvision_subset_zip.pth");
        var line = CliRunner.Fails(1, CliRunner.Run("weights", "import", "resnet18", subset, "--store", dir));
        Assert.Contains($"'{subset}' is not a resnet18 state dict: it has no 'fc.weight'", line);

        var missing = Path.Combine(dir, "nope.pth");
        Assert.Equal($"error: '{missing}' does not exist",
            CliRunner.Fails(1, CliRunner.Run("weights", "import", "vgg16", missing, "--store", dir)));

        var truncated = Path.Combine(dir, "truncated.pth");
        var bytes = File.ReadAllBytes(subset);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        Assert.Contains($"'{truncated}' is not a readable PyTorch state dict",
            CliRunner.Fails(1, CliRunner.Run("weights", "import", "resnet18", truncated, "--store", dir)));
        var legacyCut = Path.Combine(dir, "legacy-cut.pth");
        var legacy = File.ReadAllBytes(FixtureCase.PathOf("pretrained/torchvision_subset_legacy.pth"));
        File.WriteAllBytes(legacyCut, legacy[..(legacy.Length - 100)]);
        Assert.Contains("truncated file", CliRunner.Fails(1, CliRunner.Run("weights", "import", "resnet18", legacyCut, "--store", dir)));
        var text = Path.Combine(dir, "notes.pth");
        File.WriteAllText(text, "not weights at all\n");
        Assert.Contains("neither a zip archive", CliRunner.Fails(1, CliRunner.Run("weights", "import", "resnet18", text, "--store", dir)));
        Assert.Empty(Directory.GetFiles(dir, "*.pt"));
    }
}
