using System.Diagnostics;
using InSitu.Data;
using InSitu.Reports;
using InSitu.Torch;

namespace InSitu.Training;

/// <summary>
/// The one training loop of every workflow. Each epoch streams the source's batches through the task's step
/// (forward, loss, backward, optimizer step), then measures the task's validation metrics and hands the epoch to the
/// callbacks: backtracking, best-on-validation, early stopping, checkpoint, curves and progress. A checkpoint is
/// written before the first epoch and after every one, so a kill at any instant resumes exactly.
/// </summary>
public sealed class Trainer<TBatch> where TBatch : IDisposable
{
    private readonly ITrainingTask<TBatch> _task;
    private readonly IBatchSource<TBatch> _source;
    private readonly TrainingConfig _config;
    private readonly RunDirectory _run;

    public Trainer(ITrainingTask<TBatch> task, IBatchSource<TBatch> source, TrainingConfig config, RunDirectory run)
    {
        config.Validate("training");
        (_task, _source, _config, _run) = (task, source, config, run);
        Callbacks = new List<ITrainerCallback>
        {
            new Backtracking(), new BestOnValidation(), new EarlyStopping(), new ValidationBacktracking(), new CheckpointEachEpoch(),
            new CurveFile(),
        };
    }

    /// <summary>Called in order after each epoch (and batch); add a <see cref="ProgressReport"/> to watch.</summary>
    public List<ITrainerCallback> Callbacks { get; }

    public IReadOnlyList<EpochMetrics> Fit(bool resume)
    {
        var model = _task.Model;
        // Training stays in NCHW layout: channels-last would be ~1.4x faster, but libtorch 1.13's oneDNN
        // convolution backward corrupts the heap in that layout (bench/channels_last_training_crash.py shows it
        // in plain PyTorch). Channels-last is used for inference only, where it is safe.
        using var optimizer = _config.CreateOptimizer(model.Parameters());
        var scheduler = _config.CreateScheduler(optimizer);
        var state = (resume ? Checkpoints.Resume(_run, model, optimizer, _config) : null) ?? new TrainingState { Config = _config };
        var context = new TrainerContext
        {
            Model = model,
            Optimizer = optimizer,
            Scheduler = scheduler,
            Config = _config,
            Run = _run,
            State = state
        };
        if (state.Folder.Length == 0) Checkpoints.Save(context); // the starting point, for a backtrack in epoch 1
        while (state.CompletedEpochs < _config.Epochs && !state.Stopped)
        {
            int epoch = state.CompletedEpochs;
            context.ApplySchedule(epoch);
            var metrics = RunEpoch(context, epoch);
            context.EpochUndone = false;
            foreach (var callback in Callbacks)
            {
                callback.OnEpochEnd(context, metrics);
                if (context.EpochUndone) break;
            }
            state = context.State;
        }
        foreach (var callback in Callbacks) callback.OnEnd(context);
        return context.State.History;
    }

    private EpochMetrics RunEpoch(TrainerContext context, int epoch)
    {
        // libtorch's generator is reseeded from (seed, epoch): whatever a task draws from it (a reference set,
        // dropout) is the same in a resumed run
        TorchRuntime.ManualSeed((ulong)(_config.Seed * 1000 + epoch));
        var model = _task.Model;
        model.Train();
        double lossSum = 0, correct = 0;
        long seen = 0;
        int batch = 0, batches = _source.BatchesPerEpoch;
        var watch = Stopwatch.StartNew();
        foreach (var b in _source.Epoch(epoch))
        {
            using var data = b;
            using var scope = TorchRuntime.NewDisposeScope();
            context.Optimizer.ZeroGrad();
            var step = _task.Step(data);
            step.Loss.Backward();
            context.Optimizer.Step();
            lossSum += step.Loss.Item() * step.Items;
            correct += step.Correct;
            seen += step.Items;
            batch++;
            var progress = new BatchProgress(epoch + 1, _config.Epochs, batch, batches, lossSum / seen, correct / seen,
                seen / watch.Elapsed.TotalSeconds);
            foreach (var callback in Callbacks) callback.OnBatch(context, progress);
        }
        double itemsPerSecond = seen / watch.Elapsed.TotalSeconds;
        model.Eval();
        var validation = _task.Validate().ToDictionary(p => p.Key, p => p.Value);
        if (!validation.TryGetValue(_task.SelectionMetric, out var selection))
            throw new InvalidOperationException($"the task's validation has no '{_task.SelectionMetric}' to select the model by");
        return new EpochMetrics(epoch + 1, lossSum / Math.Max(1, seen), correct / Math.Max(1, seen), validation, selection, itemsPerSecond,
            context.Optimizer.Groups[0].LearningRate);
    }
}
