using InSitu.Data;
using InSitu.Reports;
using InSitu.Training;

namespace InSitu.Workflows.Stages;

/// <summary>`stage evaluate`: a trained model on the precisely staged images of a manifest (its test split, if it has one).</summary>
public static class StageEvaluator
{
    public static StageEvaluation Evaluate(string modelPath, string manifestPath) =>
        Evaluate(modelPath, manifestPath, InferenceSettings.Default, out _);

    /// <param name="engine">The inference engine that ran, as <see cref="InferenceRunner.Description"/> says.</param>
    public static StageEvaluation Evaluate(string modelPath, string manifestPath, InferenceSettings settings, out string engine)
    {
        var (net, info) = StageModelInfo.Load(modelPath);
        using var _ = net;
        var m = Manifest.Load(manifestPath);
        bool hasTest = m.Rows.Any(r => r.Split == "test");
        var rows = Enumerable.Range(0, m.Rows.Count)
            .Where(i => PreciseStage.IsPrecise(m.Rows[i].Stage) && (!hasTest || m.Rows[i].Split == "test")).ToList();
        if (rows.Count == 0)
            throw new InvalidDataException($"'{manifestPath}' has no images with a precise stage " +
                $"{PreciseStage.First}..{PreciseStage.Last} to evaluate on");
        var loader = new ImageBatchLoader(m, info.Config.Loader(), StageData.FineLabel, rows);
        var (predicted, truth) = Inference.Classify(net, loader, settings, out engine);
        var evaluation = StageEvaluation.Of(predicted, truth);
        var folder = Directory.Exists(modelPath) ? modelPath : Path.GetDirectoryName(Path.GetFullPath(modelPath))!;
        new RunDirectory(folder).WriteJson("evaluation.json", evaluation);
        return evaluation;
    }
}
