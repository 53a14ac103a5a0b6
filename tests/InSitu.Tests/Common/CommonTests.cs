using InSitu.Common;
using InSitu.Data;
using InSitu.Training;
using InSitu.Workflows.Stages;

namespace InSitu.Tests.Common;

/// <summary>Config overlay, enums by name, JSON records and atomic files.</summary>
public class CommonTests : TempFolderTest
{
    [Fact]
    public void AConfigOverridesOnlyWhatItNames()
    {
        var config = StageConfig.FromJson("{\"fine\": {\"epochs\": 7, \"optimizer\": \"adam_w\"}, \"reference_rule\": \"Probability\"}",
            StageConfig.Demo, "c.json");
        Assert.Equal(7, config.Fine.Epochs);
        Assert.Equal(OptimizerKind.AdamW, config.Fine.Optimizer);
        Assert.Equal(StageConfig.Demo.Fine.LearningRate, config.Fine.LearningRate);
        Assert.Equal(ReferenceRule.Probability, config.ReferenceRule);
        Assert.Equal(JsonSettings.Serialize(StageConfig.Demo.Coarse), JsonSettings.Serialize(config.Coarse));
    }

    [Theory]
    [InlineData("{\"fine\": {\"epoch\": 3}}", "unknown setting '$.fine.epoch'")]
    [InlineData("{\"fine\": null}", "'$.fine' must be an object")]
    [InlineData("{\"fine\": {\"epochs\": \"ten\"}}", "$.fine.epochs")]
    [InlineData("{\"fine\": {\"epochs\": 1e10}}", "$.fine.epochs")]
    [InlineData("{\"model\": \"vgg\"}", "use paper, resnet18")]
    [InlineData("{\"fine\": {\"schedule\": \"linear\"}}", "use multistep, cosine, warmrestarts")]
    [InlineData("[1, 2]", "expected a JSON object")]
    [InlineData("{\"fine\": {\"momentum\": -5}}", "fine: momentum must be in [0, 1)")]
    public void BadConfigsAreOneLineErrorsNamingTheSetting(string json, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => StageConfig.FromJson(json, new StageConfig(), "c.json"));
        Assert.StartsWith("c.json: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void EnumsAreWrittenAndReadByName()
    {
        Assert.Equal("\"resnet18\"", JsonSettings.Serialize(StageNetwork.ResNet18));
        Assert.Equal(ScheduleKind.WarmRestarts, EnumNames.Parse<ScheduleKind>("warm-restarts"));
        var e = Assert.Throws<ArgumentException>(() => EnumNames.Parse<OptimizerKind>("rmsprop"));
        Assert.Equal("unknown OptimizerKind 'rmsprop': use sgd, adam, adamw", e.Message);
    }

    [Fact]
    public void EmptyNullOrCorruptRecordsNameTheFile()
    {
        var file = Path.Combine(dir, "model.json");
        File.WriteAllText(file, "null");
        Assert.Contains("model.json' is empty", Assert.Throws<InvalidDataException>(() => JsonFile.Read<StageModelInfo>(file)).Message);
        File.WriteAllText(file, "{\"method\": ");
        Assert.Contains("model.json' is not a valid StageModelInfo",
            Assert.Throws<InvalidDataException>(() => JsonFile.Read<StageModelInfo>(file)).Message);
        File.WriteAllText(file, "{\"method\": \"magic\", \"weights\": \"m.pt\", \"config\": {}}");
        var e = Assert.Throws<InvalidDataException>(() => StageModelInfo.Load(file));
        Assert.Contains("unknown method 'magic': use gabor, plain, data, data+feature", e.Message);
    }

    [Fact]
    public void AFailedAtomicWriteLeavesTheOldFileAndNoTemporaryFile()
    {
        var file = Path.Combine(dir, "out.txt");
        AtomicFile.WriteText(file, "old");
        Assert.Throws<IOException>(() => AtomicFile.Write(file, tmp =>
        {
            File.WriteAllText(tmp, "half");
            throw new IOException("disk full");
        }));
        Assert.Equal("old", File.ReadAllText(file));
        Assert.Equal(new[] { "out.txt" }, Directory.GetFiles(dir).Select(Path.GetFileName));
    }

    [Fact]
    public void PreciseStageIsTheOnePlaceStagesBecomeClasses()
    {
        Assert.Equal(0, new PreciseStage(4).Class);
        Assert.Equal(17, PreciseStage.FromClass(13).Value);
        Assert.Equal(6, new PreciseStage(13).Range);
        Assert.Equal(14, PreciseStage.All.Count());
        Assert.Throws<ArgumentOutOfRangeException>(() => new PreciseStage(3));
        Assert.False(PreciseStage.IsPrecise(18));
    }

    [Fact]
    public void MethodListsAreCheckedBeforeAnythingRuns()
    {
        Assert.Equal(new[] { StageMethods.Data, StageMethods.Gabor }, StageMethods.Parse("data, gabor"));
        Assert.Equal(StageMethods.DataFeature, StageMethods.Find("data_feature"));
        Assert.Contains("no method given", Assert.Throws<ArgumentException>(() => StageMethods.Parse(",")).Message);
        Assert.Contains("listed twice", Assert.Throws<ArgumentException>(() => StageMethods.Parse("data,data")).Message);
        Assert.Contains("use gabor, plain, data, data+feature",
            Assert.Throws<ArgumentException>(() => StageMethods.Parse("data,dta")).Message);
    }

    [Fact]
    public void TheImageCacheKeepsWhatFitsItsBudget()
    {
        var cache = new DecodedImageCache(budgetBytes: 3 * 4 * 4);
        var options = new LoaderOptions { Height = 2, Width = 2 };
        int decoded = 0;
        float[] Decode(string p)
        {
            decoded++;
            return new float[4];
        }
        cache.GetOrDecode("a", options, Decode);
        cache.GetOrDecode("a", options, Decode);
        Assert.Equal(1, decoded);
        foreach (var p in new[] { "b", "c", "d" }) cache.GetOrDecode(p, options, Decode);
        Assert.Equal(3, cache.Images);
        cache.GetOrDecode("d", options, Decode); // did not fit: decoded again
        Assert.Equal(5, decoded);
        Assert.True(cache.Bytes <= cache.BudgetBytes);
    }
}
