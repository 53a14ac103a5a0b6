using InSitu.Models.Pretrained;
using InSitu.Tests.Models.Pretrained;

namespace InSitu.Tests.Cli;

/// <summary>`insitu weights list|get|taps` (import: Models/Pretrained/TorchVisionImportTests).</summary>
public class WeightsCommandTests : TempFolderTest
{
    [Fact]
    public void ListNamesEveryArchitectureItsSourceAndWhatIsStored()
    {
        var (code, stdout, _) = CliRunner.Run("weights", "list", "--store", dir);
        Assert.Equal(0, code);
        Assert.Contains($"weights folder: {dir}", stdout);
        Assert.Contains("mobilenet_v2: MobileNetV2 (Keras layout); from npm package nsfwjs@4.4.0", stdout);
        Assert.Contains("vgg16: VGG16 (torchvision layout); from a torchvision state dict, e.g. vgg16-397923af.pth", stdout);
        Assert.Contains("resnet18:", stdout);
        Assert.Contains("resnet50:", stdout);
        Assert.Equal(4, stdout.Split('\n').Count(l => l == "  not stored"));
    }

    [Fact]
    public void GetRefusesAMissingOrWrongTarballAndKeepsWhatIsStored()
    {
        var missing = Path.Combine(dir, "nsfwjs-4.4.0.tgz");
        var line = CliRunner.Fails(1, CliRunner.Run("weights", "get", "mobilenet_v2", "--from", missing, "--store", dir));
        Assert.Equal($"error: '{missing}' does not exist (expected nsfwjs-4.4.0.tgz)", line);

        // a well-formed package that is not the published one fails the registry checksum
        using (var scope = TorchRuntime.NewDisposeScope())
        using (var model = new InSitu.Models.MobileNetV2())
            File.WriteAllBytes(missing, SyntheticNsfwjs.Tarball(model, out _));
        line = CliRunner.Fails(1, CliRunner.Run("weights", "get", "mobilenet_v2", "--from", missing, "--store", dir));
        Assert.StartsWith($"error: {missing}: not the published nsfwjs-4.4.0.tgz (its checksum is sha512-", line);
        Assert.False(File.Exists(Path.Combine(dir, "mobilenet_v2.pt")));

        Assert.Contains("Argument 'vgg16' not recognized",
            CliRunner.Fails(1, CliRunner.Run("weights", "get", "vgg16", "--store", dir)));

        // already stored (weights, record and the package they came from): nothing is fetched
        var target = Path.Combine(dir, "mine.pt");
        File.WriteAllText(target, "x");
        File.WriteAllText(WeightsStore.RecordPath(target), "{}");
        var store = new WeightsStore(Path.Combine(dir, "store"));
        Directory.CreateDirectory(Path.GetDirectoryName(store.PackageCache(NsfwjsPackage.TarballName))!);
        File.WriteAllText(store.PackageCache(NsfwjsPackage.TarballName), "kept");
        var (code, stdout, _) = CliRunner.Run("weights", "get", "mobilenet_v2", "--out", target, "--store", store.Folder);
        Assert.Equal(0, code);
        Assert.Contains("already stored", stdout);
    }

    [NsfwjsPackageFact]
    public void GetStoresTheWeightsOfThePublishedPackageAndKeepsIt()
    {
        var store = Path.Combine(dir, "store");
        var (code, stdout, stderr) = CliRunner.Run("weights", "get", "mobilenet_v2", "--from", NsfwjsPackageFactAttribute.Tarball,
            "--store", store);
        Assert.True(code == 0, stderr);
        Assert.Contains($"stored 318 tensors (2,585,349 parameters) -> {Path.Combine(store, "mobilenet_v2.pt")}", stdout);
        Assert.Contains("below block_11_expand frozen", stdout);
        Assert.True(File.Exists(Path.Combine(store, "packages", NsfwjsPackage.TarballName)));
        var record = new WeightsStore(store).Find("mobilenet_v2")!;
        Assert.Equal(MobileNetV2Weights.NsfwjsClasses, record.ClassNames);
        // a second run finds everything in place
        (code, stdout, _) = CliRunner.Run("weights", "get", "mobilenet_v2", "--store", store);
        Assert.Equal(0, code);
        Assert.Contains("already stored", stdout);
        (_, stdout, _) = CliRunner.Run("weights", "list", "--store", store);
        Assert.Contains($"  stored: {Path.Combine(store, "mobilenet_v2.pt")} (5 classes", stdout);
    }

    [Fact]
    public void TapsListsTapPointsWithTheirAliases()
    {
        var (code, stdout, _) = CliRunner.Run("weights", "taps", "vgg16");
        Assert.Equal(0, code);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(37, lines.Length);  // 36 numbered layers and avgpool
        Assert.Contains("relu4_2 (21, features.20)", lines);
        Assert.Contains("pool3 (17, features.16)", lines);
        Assert.Equal("fc8 (36, classifier.6)", lines[^1]);
        (code, stdout, _) = CliRunner.Run("weights", "taps", "mobilenet_v2");
        Assert.Equal(0, code);
        Assert.Contains("block_2_add (block_2)", stdout);
        Assert.Contains("Conv1_relu (stem)", stdout);
    }
}
