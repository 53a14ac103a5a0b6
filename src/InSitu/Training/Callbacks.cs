using InSitu.Torch;

namespace InSitu.Training;

/// <summary>
/// Undoes an epoch whose loss is not finite (diverged): restores the last checkpoint, halves the learning rate and
/// runs the epoch again, up to <see cref="TrainingConfig.MaxBacktracks"/> times; then the run fails with an error.
/// </summary>
public sealed class Backtracking : ITrainerCallback
{
    public void OnEpochEnd(TrainerContext context, EpochMetrics metrics)
    {
        if (double.IsFinite(metrics.TrainLoss)) return;
        var state = context.State;
        if (state.Backtracks >= context.Config.MaxBacktracks)
            throw new InvalidOperationException($"training diverged in epoch {metrics.Epoch} (loss {metrics.TrainLoss}) " +
                $"after {state.Backtracks} " +
                "backtrack(s); lower learning_rate");
        var restored = context.Run.ReadJson<TrainingState>(Checkpoints.StateFile);
        Checkpoints.Restore(context.Run, restored, context.Model, context.Optimizer);
        restored.Backtracks = state.Backtracks + 1;
        restored.LearningRateScale = state.LearningRateScale * 0.5;
        context.State = restored;
        context.EpochUndone = true;
    }
}

/// <summary>
/// Model selection on validation, never on test: whenever the selection metric improves, the weights are saved as
/// best_model.pt, and they are loaded back when training ends.
/// </summary>
public sealed class BestOnValidation : ITrainerCallback
{
    public const string File = "best_model.pt";

    public void OnEpochEnd(TrainerContext context, EpochMetrics metrics)
    {
        var state = context.State;
        if (metrics.Selection > state.BestSelection || state.BestEpoch == 0)
        {
            AtomicFile.Write(context.Run.File(File), tmp => context.Model.Save(tmp));
            state.BestSelection = metrics.Selection;
            state.BestEpoch = metrics.Epoch;
        }
    }

    public void OnEnd(TrainerContext context)
    {
        if (System.IO.File.Exists(context.Run.File(File))) context.Model.Load(context.Run.File(File));
    }
}

/// <summary>Ends training when the selection metric has not improved for <see cref="TrainingConfig.EarlyStoppingPatience"/>
/// epochs.</summary>
public sealed class EarlyStopping : ITrainerCallback
{
    public void OnEpochEnd(TrainerContext context, EpochMetrics metrics)
    {
        int patience = context.Config.EarlyStoppingPatience;
        if (patience > 0 && metrics.Epoch - context.State.BestEpoch >= patience) context.State.Stopped = true;
    }
}

/// <summary>Records the epoch and writes the checkpoint (weights, optimizer, state) as one unit.</summary>
public sealed class CheckpointEachEpoch : ITrainerCallback
{
    public void OnEpochEnd(TrainerContext context, EpochMetrics metrics)
    {
        context.State.History.Add(metrics);
        context.State.CompletedEpochs = metrics.Epoch;
        Checkpoints.Save(context);
    }
}

/// <summary>The learning curve so far as curve.json, for reports and for watching a long run.</summary>
public sealed class CurveFile : ITrainerCallback
{
    public const string File = "curve.json";

    public void OnEpochEnd(TrainerContext context, EpochMetrics metrics) => context.Run.WriteJson(File, context.State.History);
}

/// <summary>Forwards batch progress to a delegate (a progress bar, a log).</summary>
public sealed class ProgressReport(Action<BatchProgress> report) : ITrainerCallback
{
    public void OnBatch(TrainerContext context, BatchProgress progress) => report(progress);
}
