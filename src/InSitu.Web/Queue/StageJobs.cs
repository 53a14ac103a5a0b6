using System.Globalization;
using InSitu.Data;
using InSitu.Web.Jobs;
using InSitu.Workflows.Stages;

namespace InSitu.Web.Queue;

/// <summary>
/// "stage-train": `stage train` as a background job (<see cref="StageTraining.Train"/>), with the settings of a base
/// model (or a preset) and optional JSON overrides; from the label queue it ranks the queue again with the new model.
/// </summary>
public sealed class StageTrainJob(FileRoots roots, StageQueueService queue) : IJobKind
{
    public const string KindName = "stage-train";

    public string Name => KindName;

    public void Run(JobContext context)
    {
        var job = context;
        var manifestId = job.Parameter("manifest");
        var manifest = Manifest.Load(queue.ManifestFile(manifestId));
        var outDir = roots.Resolve(job.Parameter("out"))
            ?? throw new WebErrors.NotFoundException($"'{job.Parameter("out")}' is outside the runs folder");
        var (config, method) = Settings(job);
        int labelled = manifest.Rows.Count(r => PreciseStage.IsPrecise(r.Stage));
        job.Log($"training {method} on {labelled} precisely staged images ({manifest.Rows.Count} in the manifest) " +
            $"into {job.Parameter("out")}");
        job.WatchCurves(outDir);
        var (_, evaluation) = StageTraining.Train(manifest, config, method, outDir, job.Resume, (phase, p) => job.Progress(phase, p));
        var model = job.Parameter("out");
        job.SetResult("model", model);
        job.SetResult("mean_per_stage_accuracy", evaluation.MeanPerStageAccuracy.ToString("R", CultureInfo.InvariantCulture));
        job.SetResult("labelled", labelled.ToString(CultureInfo.InvariantCulture));
        if (job.Optional("queue") is not "1") return;
        queue.RecordRetraining(manifestId, new Retraining(model, DateTime.UtcNow, labelled, evaluation.MeanPerStageAccuracy,
            job.Id));
        job.Log("ranking the queue with the new model");
        queue.Rank(manifestId, model, job);
    }

    private (StageConfig config, StageMethod method) Settings(JobContext job)
    {
        StageConfig config;
        StageMethod? method = null;
        if (job.Optional("model") is { } baseModel)
        {
            var info = Common.JsonFile.Read<StageModelInfo>(ModelRecord(queue.ModelFile(baseModel)));
            (config, method) = (info.Config, StageMethods.Find(info.Method));
        }
        else config = job.Optional("preset") is "paper" ? new StageConfig() : StageConfig.Demo;
        if (job.Optional("config") is { } overrides) config = StageConfig.FromJson(overrides, config, "settings");
        if (job.Optional("method") is { } name) method = StageMethods.Find(name);
        method ??= StageMethods.DataFeature;
        if (!method.HasNetwork)
            throw new ArgumentException($"{method} leaves no network to rank the queue with; use " +
                string.Join(", ", StageMethods.All.Where(m => m.HasNetwork)));
        config.Validate();
        return (config, method);
    }

    private static string ModelRecord(string path) => File.Exists(path) ? path : Path.Combine(path, "model.json");
}

/// <summary>"stage-rank": scores and ranks a manifest's label queue with a model.</summary>
public sealed class StageRankJob(StageQueueService queue) : IJobKind
{
    public const string KindName = "stage-rank";

    public string Name => KindName;

    public void Run(JobContext context) => queue.Rank(context.Parameter("manifest"), context.Parameter("model"), context);
}

/// <summary>"stage-predict": `stage predict` of a manifest or folder into a CSV in the runs folder (batch prediction).</summary>
public sealed class StagePredictJob(FileRoots roots, StageQueueService queue) : IJobKind
{
    public const string KindName = "stage-predict";

    public string Name => KindName;

    public void Run(JobContext context)
    {
        var job = context;
        var input = roots.Resolve(job.Parameter("input")) ?? throw new WebErrors.NotFoundException($"no '{job.Parameter("input")}'");
        var output = roots.Resolve(job.Parameter("out"))
            ?? throw new WebErrors.NotFoundException($"'{job.Parameter("out")}' is outside the roots");
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        job.Progress("predicting", 0, 1);
        var result = StagePredictor.PredictToCsv(queue.ModelFile(job.Parameter("model")), input, output);
        job.Progress("predicting", 1, 1);
        job.SetResult("csv", job.Parameter("out"));
        job.SetResult("written", result.Written.ToString(CultureInfo.InvariantCulture));
        job.SetResult("skipped", result.Failures.Count.ToString(CultureInfo.InvariantCulture));
    }
}
