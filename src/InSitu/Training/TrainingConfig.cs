using InSitu.Torch.NN;
using InSitu.Torch.Optim;

namespace InSitu.Training;

public enum OptimizerKind { Sgd, Adam, AdamW }

/// <summary>How the learning rate moves over epochs: step decay at milestones, cosine annealing, or cosine with warm restarts.</summary>
public enum ScheduleKind { MultiStep, Cosine, WarmRestarts }

/// <summary>Hyperparameters of one training phase; saved with the run so a resume can check it is the same run.</summary>
public sealed record TrainingConfig
{
    public int Epochs { get; init; } = 6;
    public int BatchSize { get; init; } = 16;
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Sgd;
    public double LearningRate { get; init; } = 0.01;
    /// <summary>SGD momentum; Adam's beta1 and beta2 are <see cref="Beta1"/> and <see cref="Beta2"/>.</summary>
    public double Momentum { get; init; } = 0.9;
    public double WeightDecay { get; init; } = 5e-4;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public ScheduleKind Schedule { get; init; } = ScheduleKind.MultiStep;
    public int[] Milestones { get; init; } = { 4 };
    public double Gamma { get; init; } = 0.1;
    /// <summary>Cosine schedules: the rate they anneal to.</summary>
    public double MinLearningRate { get; init; }
    /// <summary>
    /// Cosine: epochs over which the rate falls to <see cref="MinLearningRate"/> (null: all of them). Later epochs follow the
    /// cosine on, as torch's CosineAnnealingLR does (the FlyExpress code anneals over 90 of its 100 epochs).
    /// </summary>
    public int? CosineEpochs { get; init; }
    /// <summary>Warm restarts: epochs of the first cycle, and how each cycle grows.</summary>
    public int RestartPeriod { get; init; } = 10;
    public int RestartGrowth { get; init; } = 1;
    /// <summary>Random left-right flips; off when left and right mean different things (anterior vs posterior).</summary>
    public bool FlipHorizontal { get; init; } = true;
    public bool FlipVertical { get; init; } = true;
    /// <summary>Stop when the selection metric has not improved for this many epochs (0: never).</summary>
    public int EarlyStoppingPatience { get; init; }
    /// <summary>How many times a diverged epoch (non-finite loss) may be undone, each time halving the rate (0: never).</summary>
    public int MaxBacktracks { get; init; } = 2;
    /// <summary>
    /// Backtracking on validation (seed 003): when the selection metric has not improved for this many epochs, the best
    /// weights are restored and training goes on at <see cref="BacktrackFactor"/> times the rate (0: never).
    /// </summary>
    public int BacktrackPatience { get; init; }
    /// <summary>Validation backtracks allowed; when the patience runs out once more, training stops.</summary>
    public int MaxValidationBacktracks { get; init; } = 3;
    /// <summary>What each validation backtrack multiplies the learning rate by.</summary>
    public double BacktrackFactor { get; init; } = 0.5;
    public int Seed { get; init; } = 1;

    public Optimizer CreateOptimizer(IEnumerable<Parameter> parameters) => Optimizer switch
    {
        OptimizerKind.Sgd => new SGD(parameters, LearningRate, Momentum, WeightDecay),
        OptimizerKind.Adam => new Adam(parameters, LearningRate, Beta1, Beta2, weightDecay: WeightDecay),
        OptimizerKind.AdamW => new AdamW(parameters, LearningRate, Beta1, Beta2, weightDecay: WeightDecay),
        _ => throw new InvalidOperationException($"unknown optimizer {Optimizer}"),
    };

    public LRScheduler CreateScheduler(Optimizer optimizer) => Schedule switch
    {
        ScheduleKind.MultiStep => new MultiStepLR(optimizer, Milestones, Gamma),
        ScheduleKind.Cosine => new CosineAnnealingLR(optimizer, CosineEpochs ?? Epochs, MinLearningRate),
        ScheduleKind.WarmRestarts => new CosineAnnealingWarmRestarts(optimizer, RestartPeriod, RestartGrowth, MinLearningRate),
        _ => throw new InvalidOperationException($"unknown schedule {Schedule}"),
    };

    /// <summary>Every value within its range; <paramref name="name"/> prefixes the messages (e.g. "fine").</summary>
    public void Validate(string name)
    {
        void Require(bool ok, string what)
        {
            if (!ok) throw new ArgumentException($"{name}: {what}");
        }
        Require(Epochs >= 1, $"epochs must be at least 1 (got {Epochs})");
        Require(BatchSize >= 1, $"batch_size must be at least 1 (got {BatchSize})");
        Require(LearningRate > 0 && double.IsFinite(LearningRate), $"learning_rate must be positive (got {LearningRate})");
        Require(Momentum is >= 0 and < 1, $"momentum must be in [0, 1) (got {Momentum})");
        Require(WeightDecay >= 0 && double.IsFinite(WeightDecay), $"weight_decay must be zero or positive (got {WeightDecay})");
        Require(Beta1 is >= 0 and < 1 && Beta2 is >= 0 and < 1, "beta1 and beta2 must be in [0, 1)");
        Require(Gamma > 0 && Gamma <= 1, $"gamma must be in (0, 1] (got {Gamma})");
        Require(Milestones.All(m => m >= 1), "milestones must be epochs of at least 1");
        Require(MinLearningRate >= 0 && MinLearningRate < LearningRate, "min_learning_rate must be in [0, learning_rate)");
        Require(CosineEpochs is null or >= 1, $"cosine_epochs must be at least 1 (got {CosineEpochs})");
        Require(RestartPeriod >= 1 && RestartGrowth >= 1, "restart_period and restart_growth must be at least 1");
        Require(EarlyStoppingPatience >= 0 && MaxBacktracks >= 0, "early_stopping_patience and max_backtracks cannot be negative");
        Require(BacktrackPatience >= 0 && MaxValidationBacktracks >= 0,
            "backtrack_patience and max_validation_backtracks cannot be negative");
        Require(BacktrackFactor > 0 && BacktrackFactor < 1, $"backtrack_factor must be in (0, 1) (got {BacktrackFactor})");
    }
}

/// <summary>What one epoch measured: training loss (and accuracy where it means something), validation metrics, speed.</summary>
public sealed record EpochMetrics(
    int Epoch, double TrainLoss, double TrainAccuracy, Dictionary<string, double> Validation, double Selection, double ItemsPerSecond,
    double LearningRate);
