using InSitu.Reports;
using InSitu.Torch.NN;
using InSitu.Torch.Optim;

namespace InSitu.Training;

/// <summary>What callbacks see and may change while a <see cref="Trainer{TBatch}"/> runs.</summary>
public sealed class TrainerContext
{
    public required Module Model { get; init; }
    public required Optimizer Optimizer { get; init; }
    public required LRScheduler Scheduler { get; init; }
    public required TrainingConfig Config { get; init; }
    public required RunDirectory Run { get; init; }
    public required TrainingState State { get; set; }

    /// <summary>Set by a callback that restored an earlier state: the epoch is run again and later callbacks skip it.</summary>
    public bool EpochUndone { get; set; }

    /// <summary>Sets every group's rate for <paramref name="epoch"/>: the schedule's value times the backtracking scale.</summary>
    public void ApplySchedule(int epoch)
    {
        Scheduler.SetEpoch(epoch);
        foreach (var g in Optimizer.Groups) g.LearningRate *= State.LearningRateScale;
    }
}

/// <summary>Progress inside an epoch: running loss and accuracy over the items seen so far.</summary>
public readonly record struct BatchProgress(int Epoch, int Epochs, int Batch, int Batches, double Loss,
    double Accuracy, double ItemsPerSecond);

/// <summary>A hook into the training loop; each method does nothing unless overridden.</summary>
public interface ITrainerCallback
{
    void OnBatch(TrainerContext context, BatchProgress progress) { }

    void OnEpochEnd(TrainerContext context, EpochMetrics metrics) { }

    void OnEnd(TrainerContext context) { }
}
