using System.Diagnostics;
using InSitu.Data;
using InSitu.Reports;
using InSitu.Torch;
using InSitu.Training;

namespace InSitu.Workflows.Segmentation;

/// <summary>What to train: annotated image/label pairs (labels in any format <see cref="LabelImage"/> reads) and where.</summary>
public sealed record SegmentationTrainRequest
{
    public required IReadOnlyList<PatchPair> Pairs { get; init; }
    /// <summary>
    /// Held-out annotated images for early stopping and backtracking; null holds out a share of the annotated patch cells.
    /// </summary>
    public IReadOnlyList<PatchPair>? Validation { get; init; }
    public required string OutDir { get; init; }
    public SegmentationConfig Config { get; init; } = new();
    /// <summary>The colours of colour label images; null for grey or indexed PNG labels.</summary>
    public LabelPalette? Palette { get; init; }
    public int Seed { get; init; } = 1;
    /// <summary>Continue an interrupted run from its last checkpoint.</summary>
    public bool Resume { get; init; }
    /// <summary>
    /// Start from this model's weights (a run directory or model.json) instead of random ones: retraining after new annotations.
    /// </summary>
    public string? InitialModel { get; init; }
    /// <summary>Write report.html with curves and overlays of the training images (a full prediction of each).</summary>
    public bool Report { get; init; } = true;
}

/// <summary>The trained model and what training measured.</summary>
public sealed record SegmentationTrainResult(string RunDir, string ModelPath, int Classes, string[] ClassNames,
    IReadOnlyList<EpochMetrics> History, int BestEpoch, double BestValidationLoss, double BestValidationMeanIou,
    int ValidationPatches, int HeldOutCells, bool ValidationIsTraining, long[] TrainPixels, double Seconds, string? Report);

/// <summary>
/// `segment train`: the recurrent U-Net trained on partially annotated images (METHODS.md §6). Random patches holding
/// an annotated pixel, augmented heavily (flips, quarter turns, elastic deformation, intensity jitter, noise, blur);
/// Adam, with early stopping and backtracking on held-out annotated patches; the model of the best validation epoch is
/// kept (model.json + model.pt). The run directory holds config.json, the rewritten labels, checkpoints (resumable),
/// curve.json, training.json and report.html. Progress and cancellation come from the caller (a console, a web app).
/// </summary>
public static class SegmentationTraining
{
    public static SegmentationTrainResult Train(SegmentationTrainRequest request, Action<BatchProgress>? progress = null,
        CancellationToken cancel = default)
    {
        var watch = Stopwatch.StartNew();
        var config = request.Config;
        config.Validate();
        var run = new RunDirectory(request.OutDir);
        run.WriteJson("config.json", new
        {
            config,
            request.Seed,
            images = request.Pairs.Select(p => p.Image),
            labels = request.Pairs.Select(p => p.Mask),
            validation = request.Validation?.Select(p => new { p.Image, p.Mask }),
            initial_model = request.InitialModel,
        });
        var data = SegmentationData.Prepare(request.Pairs, request.Validation, config, request.Palette, run, request.Seed);
        config = config with { Classes = data.Classes, ClassNames = data.ClassNames };
        TorchRuntime.ManualSeed((ulong)request.Seed);
        using var model = new SegmentationModel(config, data.Classes, data.ClassNames);
        if (request.InitialModel is { } initial) WarmStart(model, initial);
        var cache = new DecodedImageCache(1L << 30);
        var train = new PatchBatchSource(data.Train, config.Loader(request.Seed), new PatchOptions
        {
            Mode = PatchMode.Random,
            PatchesPerEpoch = config.PatchesPerEpoch,
            RequireLabelled = true,
            IgnoreValue = SegmentationData.Unlabelled,
            Scale = config.Scale,
            Joint = config.Augment.Joint,
        }, cache);
        var validation = new PatchBatchSource(data.Validation,
            config.Loader(request.Seed) with { Augment = AugmentOptions.None, BatchSize = 16 },
            new PatchOptions { Mode = PatchMode.Tiles, IgnoreValue = SegmentationData.Unlabelled, Scale = config.Scale }, cache);
        using var task = new SegmentationTask(model.Net, config, validation, data.TrainPixels);
        var trainer = new Trainer<PatchBatch>(task, train, config.Training with { Seed = request.Seed }, run);
        if (progress is not null) trainer.Callbacks.Add(new ProgressReport(progress));
        trainer.Callbacks.Add(new CancellationCheck(cancel));
        var history = trainer.Fit(request.Resume);
        model.Net.Eval();
        var modelPath = model.Save(run.Path);
        var state = run.ReadJson<TrainingState>(Checkpoints.StateFile);
        var best = history.FirstOrDefault(e => e.Epoch == state.BestEpoch) ?? history[^1];
        var result = new SegmentationTrainResult(run.Path, modelPath, data.Classes, data.ClassNames, history, state.BestEpoch,
            best.Validation.GetValueOrDefault("val_loss", double.NaN), best.Validation.GetValueOrDefault("val_mean_iou", double.NaN),
            task.ValidationPatches, data.HeldOutCells, data.ValidationIsTraining, data.TrainPixels, watch.Elapsed.TotalSeconds, null);
        run.WriteJson("training.json", result with { History = [] });
        if (request.Report)
        {
            var report = SegmentationReport.Training(run, model, result, data, cancel);
            result = result with { Report = report };
        }
        return result;
    }

    /// <summary>Loads another model's weights into <paramref name="model"/>; the architectures and classes must match.</summary>
    private static void WarmStart(SegmentationModel model, string path)
    {
        using var initial = SegmentationModel.Load(path);
        if (initial.Classes != model.Classes || initial.Net.Config with { Dropout = 0 } != model.Net.Config with { Dropout = 0 })
            throw new ArgumentException($"the initial model '{path}' is a {Describe(initial)} but this run trains a {Describe(model)}; " +
                "start from a model of the same architecture and classes");
        var state = initial.Net.StateDict().ToDictionary(p => p.name, p => p.tensor);
        model.Net.LoadStateDict(state);
    }

    private static string Describe(SegmentationModel m) =>
        $"U-Net (depth {m.Net.Config.Depth}, width {m.Net.Config.BaseWidth}, {m.Net.Config.Steps} step(s), " +
        $"{m.Net.Config.InChannels} channel(s), {m.Classes} classes)";
}
