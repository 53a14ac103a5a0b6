namespace InSitu.Training;

/// <summary>
/// Where a training run stands, saved as checkpoint.json after every epoch. It names the checkpoint folder holding
/// the weights and optimizer state of the same instant, and the config the run was started with.
/// </summary>
public sealed class TrainingState
{
    public int CompletedEpochs { get; set; }
    public List<EpochMetrics> History { get; set; } = new();
    public double BestSelection { get; set; } = double.NegativeInfinity;
    public int BestEpoch { get; set; }
    /// <summary>Multiplies the scheduled learning rate; halved by each backtrack.</summary>
    public double LearningRateScale { get; set; } = 1;
    public int Backtracks { get; set; }
    /// <summary>Backtracks to the best weights after validation stopped improving (<see cref="ValidationBacktracking"/>).</summary>
    public int ValidationBacktracks { get; set; }
    /// <summary>The epoch of the last validation backtrack: its patience counts from there.</summary>
    public int LastBacktrackEpoch { get; set; }
    /// <summary>Early stopping ended the run before its last epoch.</summary>
    public bool Stopped { get; set; }
    /// <summary>The checkpoint folder (relative to the run directory) of this state.</summary>
    public string Folder { get; set; } = "";
    public TrainingConfig? Config { get; set; }
}
