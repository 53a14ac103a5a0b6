using System.Text.Json;
using InSitu.Workflows.Segmentation;

namespace InSitu.Tests.Workflows.Segmentation;

/// <summary>`segment simulate` on a tiny scene: learning curves of both strategies over seeds, and resuming at the last round.</summary>
public class AnnotationSimulationTests : TempFolderTest
{
    private SimulationOptions Options(string image, string truth, string name) => new()
    {
        Image = image,
        Truth = truth,
        OutDir = Path.Combine(dir, name),
        Config = TinyScenes.Config with { Training = TinyScenes.Config.Training with { Epochs = 3 }, PatchesPerEpoch = 16 },
        Seeds = 2,
        Patches = 3,
        StrokeFraction = 0.4,
        WarmEpochs = 2,
    };

    [Fact]
    [Trait("Category", "Slow")]
    public void AnInterruptedSimulationResumesAtItsLastRoundAndDrawsBothCurves()
    {
        var (image, truth, _) = TinyScenes.Write(Path.Combine(dir, "data"), "scene", 128, 7);
        var options = Options(image, truth, "sim");
        using var cancel = new CancellationTokenSource();
        int rounds = 0;
        var first = new AnnotationSimulation { Log = _ => { if (++rounds == 3) cancel.Cancel(); } };
        Assert.ThrowsAny<OperationCanceledException>(() => first.Run(options, cancel.Token));
        var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "sim", "simulation.json"))).RootElement;
        var kept = state.GetProperty("seeds")[0].GetProperty("rounds").GetProperty("active")[0].GetProperty("seconds").GetDouble();

        var logged = new List<string>();
        var result = new AnnotationSimulation { Log = logged.Add }.Run(options with { Resume = true });
        // seed 1: round 1, active 2 and random 2 were done; the rest (seed 1 round 3 both, seed 2: 5 rounds) remain
        Assert.Equal(7, logged.Count);
        Assert.DoesNotContain(logged, l => l.StartsWith("seed 1, active, 1 ", StringComparison.Ordinal));
        state = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "sim", "simulation.json"))).RootElement;
        Assert.Equal(kept, state.GetProperty("seeds")[0].GetProperty("rounds").GetProperty("active")[0].GetProperty("seconds").GetDouble());

        Assert.Equal(new[] { AnnotationSimulation.Active, AnnotationSimulation.Random }, result.Curves.Select(c => c.Strategy));
        foreach (var curve in result.Curves)
        {
            Assert.Equal(new[] { 1, 2, 3 }, curve.Patches);
            Assert.Equal(new[] { 2, 2, 2 }, curve.Seeds);
            Assert.All(curve.MeanIou, v => Assert.InRange(v, 0, 1));
        }
        // round 1 is shared by both strategies
        Assert.Equal(result.Curves[0].MeanIou[0], result.Curves[1].MeanIou[0]);
        var report = File.ReadAllText(result.Report);
        Assert.Contains("figures/learning-curve-iou.svg", report);
        Assert.Contains("<polygon", File.ReadAllText(Path.Combine(dir, "sim", "figures", "learning-curve-iou.svg")));

        var changed = Assert.Throws<InvalidDataException>(() => new AnnotationSimulation().Run(options with
        {
            Resume = true,
            StrokeFraction = 0.5
        }));
        Assert.Contains("cannot resume with changed settings", changed.Message);
    }
}
