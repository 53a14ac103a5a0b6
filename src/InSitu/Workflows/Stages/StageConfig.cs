using InSitu.Common;
using InSitu.Data;
using InSitu.Models;
using InSitu.Training;

namespace InSitu.Workflows.Stages;

/// <summary>The network of a stage model: the paper's 4-block ResNet or the published code's CIFAR-style ResNet-18.</summary>
public enum StageNetwork { Paper, ResNet18 }

/// <summary>Which training images may serve as references in step 2.</summary>
public enum ReferenceRule
{
    /// <summary>Published code: correct, and top-1 minus top-2 logit above the margin.</summary>
    Margin,
    /// <summary>Paper: correct, and the class probability above tau.</summary>
    Probability,
}

/// <summary>
/// Everything a precise-stage run depends on. The defaults are the paper's (METHODS.md section 1): its 4-block
/// ResNet on grey 128x320 images, SGD lr 0.001 with x0.1 at epochs 20 and 30, batch 16, momentum 0.9, weight decay
/// 5e-4, random horizontal and vertical flips, reference sets by the published code's rule (correct, top-1 minus
/// top-2 logit margin > 3, k = 100). Any field can be overridden by a JSON file (--config); the resolved config is
/// saved as config.json in the run directory.
/// </summary>
public sealed record StageConfig : IValidatedSettings
{
    public StageNetwork Model { get; init; } = StageNetwork.Paper;
    public int BaseWidth { get; init; } = 64;
    public int Height { get; init; } = 128;
    public int Width { get; init; } = 320;
    public bool Gray { get; init; } = true;

    /// <summary>Step 1: the coarse (stage range) model.</summary>
    public TrainingConfig Coarse { get; init; } = Paper;
    /// <summary>Training on the fine set: `plain` from scratch, `data` after step 1.</summary>
    public TrainingConfig Fine { get; init; } = Paper;
    /// <summary>Step 2: fine-tuning with L = L_CE + L_S.</summary>
    public TrainingConfig Feature { get; init; } = Paper;

    public ReferenceRule ReferenceRule { get; init; } = ReferenceRule.Margin;
    public double Margin { get; init; } = 3;
    public double Tau { get; init; } = 0.9;
    public int ReferenceSets { get; init; } = 100;

    /// <summary>L2 strengths tried for the Gabor baseline's logistic regression; the best on validation is used.</summary>
    public double[] GaborLambdas { get; init; } = { 1e-4, 1e-3, 1e-2, 1e-1, 1 };

    /// <summary>Share of the fine training images held out for model selection when the manifest has no val split.</summary>
    public double ValidationShare { get; init; } = 0.15;
    /// <summary>Share of fine images for testing when the manifest has no splits (the paper: 30%).</summary>
    public double TestShare { get; init; } = 0.3;

    public static TrainingConfig Paper => new()
    {
        Epochs = 40,
        BatchSize = 16,
        LearningRate = 0.001,
        Momentum = 0.9,
        WeightDecay = 5e-4,
        Milestones = new[] { 20, 30 },
        Gamma = 0.1,
        FlipHorizontal = true,
        FlipVertical = true,
    };

    /// <summary>
    /// A preset that runs the whole comparison in minutes on two cores: 32x80 grey images, width 16, a larger
    /// learning rate and fewer epochs. It changes scale, not method.
    /// </summary>
    public static StageConfig Demo => new()
    {
        BaseWidth = 16,
        Height = 32,
        Width = 80,
        ReferenceSets = 100,
        Coarse = Paper with { Epochs = 6, BatchSize = 32, LearningRate = 0.05, Milestones = new[] { 4 } },
        Fine = Paper with { Epochs = 30, BatchSize = 32, LearningRate = 0.05, Milestones = new[] { 20 } },
        Feature = Paper with { Epochs = 10, BatchSize = 32, LearningRate = 0.005, Milestones = new[] { 7 } },
    };

    /// <summary>
    /// How images become this model's input: its size, grey or RGB, scaled to [0, 1] then (x - 0.5) / 0.25; images
    /// of another shape (aspect off by more than 15%) are refused rather than squashed.
    /// </summary>
    public LoaderOptions Loader(int batchSize = 64) => new()
    {
        Height = Height,
        Width = Width,
        Gray = Gray,
        BatchSize = batchSize,
        MaxAspectChange = 0.15f,
        Mean = Enumerable.Repeat(0.5f, Gray ? 1 : 3).ToArray(),
        Std = Enumerable.Repeat(0.25f, Gray ? 1 : 3).ToArray(),
    };

    public ResNetConfig Network(int classes) => Model switch
    {
        StageNetwork.Paper => ResNetConfig.Paper(Gray ? 1 : 3, classes, Height, Width, BaseWidth),
        StageNetwork.ResNet18 => ResNetConfig.CifarResNet18(Gray ? 1 : 3, classes, Height, Width, BaseWidth),
        _ => throw new InvalidOperationException($"unknown network {Model}"),
    };

    /// <summary>This config with every training phase (coarse, fine, feature) in <paramref name="precision"/>.</summary>
    public StageConfig WithTrainingPrecision(TrainingPrecision precision) => this with
    {
        Coarse = Coarse with { Precision = precision },
        Fine = Fine with { Precision = precision },
        Feature = Feature with { Precision = precision },
    };

    public void Validate()
    {
        if (BaseWidth < 1) throw new ArgumentException($"base_width must be at least 1 (got {BaseWidth})");
        Network(PreciseStage.Count).FeatureGrid();
        if (ReferenceSets < 1) throw new ArgumentException("reference_sets must be at least 1");
        if (Tau is <= 0 or >= 1) throw new ArgumentException($"tau must be in (0, 1) (got {Tau})");
        if (Margin < 0) throw new ArgumentException($"margin cannot be negative (got {Margin})");
        if (GaborLambdas.Length == 0 || GaborLambdas.Any(l => l <= 0))
            throw new ArgumentException("gabor_lambdas needs at least one value, all positive");
        if (ValidationShare is <= 0 or >= 1 || TestShare is <= 0 or >= 1)
            throw new ArgumentException("validation_share and test_share must be in (0, 1)");
        Coarse.Validate("coarse");
        Fine.Validate("fine");
        Feature.Validate("feature");
    }

    /// <summary>Reads overrides from a JSON file (snake_case names, e.g. {"fine": {"epochs": 20}}) on top of
    /// <paramref name="baseline"/>.</summary>
    public static StageConfig Load(string file, StageConfig baseline) =>
        ConfigOverlay.Checked(ConfigOverlay.ApplyFile(baseline, file), file);

    /// <summary>Overrides from JSON text on top of <paramref name="baseline"/>; <paramref name="source"/> names it in errors.</summary>
    public static StageConfig FromJson(string json, StageConfig baseline, string source)
        => ConfigOverlay.Checked(ConfigOverlay.Apply(baseline, json, source), source);

}
