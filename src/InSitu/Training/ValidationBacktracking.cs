namespace InSitu.Training;

/// <summary>
/// Backtracking on validation (seed 003, METHODS.md §6): when the selection metric has not improved for
/// <see cref="TrainingConfig.BacktrackPatience"/> epochs (counted from the best epoch or the last backtrack, whichever
/// is later), the weights of the best epoch (best_model.pt) are loaded back and training continues at
/// <see cref="TrainingConfig.BacktrackFactor"/> times the learning rate. After
/// <see cref="TrainingConfig.MaxValidationBacktracks"/> backtracks, running out of patience once more stops training.
/// Off unless the patience is positive. It runs after <see cref="BestOnValidation"/> (which has just saved any new best)
/// and before the checkpoint, so a resumed run continues from the restored weights and the lowered rate. The
/// optimizer's state (momentum, Adam's moments) carries on: only the weights and the step size go back.
/// </summary>
public sealed class ValidationBacktracking : ITrainerCallback
{
    public void OnEpochEnd(TrainerContext context, EpochMetrics metrics)
    {
        var config = context.Config;
        var state = context.State;
        if (config.BacktrackPatience <= 0 || state.Stopped) return;
        if (metrics.Epoch - Math.Max(state.BestEpoch, state.LastBacktrackEpoch) < config.BacktrackPatience) return;
        if (state.ValidationBacktracks >= config.MaxValidationBacktracks)
        {
            state.Stopped = true;
            return;
        }
        context.Model.Load(context.Run.File(BestOnValidation.File));
        state.ValidationBacktracks++;
        state.LastBacktrackEpoch = metrics.Epoch;
        state.LearningRateScale *= config.BacktrackFactor;
    }
}
