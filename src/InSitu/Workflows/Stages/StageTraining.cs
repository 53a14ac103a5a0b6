using InSitu.Data;
using InSitu.Reports;

namespace InSitu.Workflows.Stages;

/// <summary>
/// `stage train`: one method, one seed, one run directory holding config.json, the trained network as model.pt with
/// its record model.json, the test evaluation (evaluation.json) and each phase's checkpoints and curves.
/// </summary>
public static class StageTraining
{
    public static (MethodOutcome outcome, StageEvaluation evaluation) Train(Manifest manifest, StageConfig config,
        StageMethod method, string outDir,
        bool resume, StageProgress? progress = null)
    {
        config.Validate();
        var run = new RunDirectory(outDir);
        run.WriteJson("config.json", new { config, method = method.Name, manifest = manifest.BaseDirectory });
        var data = StageData.Load(manifest, config, seed: 1, method.NeedsRangeImages);
        var runner = new StageMethodRunner(config, data, 1, run.Path, resume) { Progress = progress, ModelName = _ => "model" };
        var outcome = runner.Run(method);
        var evaluation = StageEvaluation.Of(outcome.Predicted, data.TestTruth);
        run.WriteJson("evaluation.json",
            new { outcome.Method, outcome.ValidationAccuracy, evaluation, outcome.Notes, outcome.Seconds, outcome.Curves });
        return (outcome, evaluation);
    }
}
