namespace InSitu.Training;

/// <summary>Hyperparameters of a classifier training run; saved as config.json in the run directory.</summary>
public sealed record TrainingConfig
{
    public int Epochs { get; init; } = 6;
    public int BatchSize { get; init; } = 16;
    public double LearningRate { get; init; } = 0.01;
    public double Momentum { get; init; } = 0.9;
    public double WeightDecay { get; init; } = 5e-4;
    public int[] Milestones { get; init; } = { 4 };
    public double Gamma { get; init; } = 0.1;
    /// <summary>Random left-right flips; off when left and right mean different things (anterior vs posterior).</summary>
    public bool FlipHorizontal { get; init; } = true;
    public bool FlipVertical { get; init; } = true;
    public int Seed { get; init; } = 1;
}

/// <summary>What one epoch measured.</summary>
public sealed record EpochMetrics(int Epoch, double TrainLoss, double TrainAccuracy, double ValidationAccuracy, double ImagesPerSecond, double LearningRate);
