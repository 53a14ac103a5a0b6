using System.Text.Json;
using InSitu.Cli;
using InSitu.Models;
using InSitu.Reports;
using InSitu.Torch;
using InSitu.Training;

namespace InSitu.Tests.Cli;

/// <summary>The `insitu` command end to end: version, demo, option errors.</summary>
public class CliTests : TempFolderTest
{
    [Fact]
    public void VersionReportsEngineDeviceThreadsAndBlas()
    {
        var (code, output, _) = CliRunner.Run("--version");
        Assert.Equal(0, code);
        Assert.Contains("InSitu 0.1.0", output);
        Assert.Contains("libtorch 1.13", output);
        Assert.Contains("device: cpu", output);
        Assert.Contains($"threads: {Environment.ProcessorCount}", output);
        Assert.Contains("BLAS: ", output);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void DemoSimulatesComparesAndWritesTheReport()
    {
        var outDir = Path.Combine(dir, "demo");
        File.WriteAllText(Path.Combine(dir, "tiny.json"), "{\"base_width\": 4, \"coarse\": {\"epochs\": 1, \"milestones\": [1]}, " +
            "\"fine\": {\"epochs\": 1, \"milestones\": [1]}, \"feature\": {\"epochs\": 1, \"milestones\": [1]}, \"reference_sets\": 3, " +
            "\"gabor_lambdas\": [0.1]}");
        var (code, output, _) = CliRunner.Run("demo", "--out", outDir, "--seeds", "2", "--per-stage", "6", "--coarse-factor", "1",
            "--config", Path.Combine(dir, "tiny.json"), "--tables", Path.Combine(TestPaths.SharedData, "bdgp-annotations"));
        Assert.Equal(0, code);
        foreach (var f in new[] { "config.json", "comparison.json", "comparison.md", "report.html", "data/manifest.csv" })
            Assert.True(File.Exists(Path.Combine(outDir, f)), $"{f} missing");
        using var comparison = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "comparison.json")));
        var methods = comparison.RootElement.GetProperty("methods").EnumerateArray().ToList();
        Assert.Equal(new[] { "gabor", "plain", "data", "data+feature" }, methods.Select(m => m.GetProperty("method").GetString()));
        foreach (var m in methods)
        {
            Assert.Equal(14, m.GetProperty("per_stage_accuracy").EnumerateObject().Count());
            Assert.Equal(2, m.GetProperty("mean_per_stage_accuracy").GetProperty("by_seed").GetArrayLength());
            Assert.InRange(m.GetProperty("mean_per_stage_accuracy").GetProperty("mean").GetDouble(), 0, 1);
        }
        Assert.Contains("<svg", File.ReadAllText(Path.Combine(outDir, "report.html")));
        Assert.Contains("report.html", output);
    }

    [Fact]
    public void BadOptionsGiveAOneLineErrorNotACrash()
    {
        Assert.Equal("error: --per-stage must be at least 6 (train, validation and test need images of every stage)",
            CliRunner.Fails(1, CliRunner.Run("demo", "--out", Path.Combine(dir, "x"), "--per-stage", "2")));
    }
}
