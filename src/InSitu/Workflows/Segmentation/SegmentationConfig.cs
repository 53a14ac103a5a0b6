using InSitu.Common;
using InSitu.Data;
using InSitu.Models;
using InSitu.Training;

namespace InSitu.Workflows.Segmentation;

/// <summary>Which validation figure picks the kept model and drives backtracking.</summary>
public enum SegmentationSelection
{
    /// <summary>Cross-entropy on the held-out annotated pixels (seed 003: "the model error is lowest on the test patches").</summary>
    Loss,
    /// <summary>Mean IoU over the classes annotated in the held-out patches.</summary>
    MeanIou,
}

/// <summary>The augmentations of METHODS.md §6's "heavy augmentation", as one block of settings.</summary>
public sealed record SegmentationAugment
{
    public bool Flips { get; init; } = true;
    public bool Rotate90 { get; init; } = true;
    public float ElasticProbability { get; init; } = 0.5f;
    /// <summary>Root mean square displacement, pixels (at the working scale).</summary>
    public float ElasticAlpha { get; init; } = 3;
    /// <summary>Smoothness of the displacement, pixels.</summary>
    public float ElasticSigma { get; init; } = 8;
    public float Gamma { get; init; } = 0.2f;
    public float Contrast { get; init; } = 0.2f;
    public float Brightness { get; init; } = 0.1f;
    public float NoiseSigma { get; init; } = 0.03f;
    public float BlurProbability { get; init; } = 0.2f;
    public float MaxBlurSigma { get; init; } = 1;

    public JointAugmentOptions Joint => new(Rotate90, ElasticProbability, ElasticAlpha, ElasticSigma, Gamma, Contrast, Brightness);

    public AugmentOptions Loader => new(Flips, Flips, 0, 0, BlurProbability, MaxBlurSigma, NoiseSigma);
}

/// <summary>
/// Everything a segmentation run depends on (METHODS.md §6, seed 003): the recurrent U-Net, partial labels with a
/// reserved "not annotated" value, patch sampling and heavy augmentation, training with early stopping and
/// backtracking on held-out patches, tiled inference and MC dropout. A JSON file (--config) overrides any field;
/// the resolved config is saved with the run.
/// </summary>
public sealed record SegmentationConfig : IValidatedSettings
{
    /// <summary>Class count; 0 = from the palette, or the largest label value found plus one.</summary>
    public int Classes { get; init; }
    public string[] ClassNames { get; init; } = [];
    /// <summary>Label value of "not annotated" (ignored by every loss and metric).</summary>
    public int IgnoreValue { get; init; } = 255;
    public bool Gray { get; init; } = true;
    /// <summary>Images are resized by this before anything else (0.5: work at half resolution); outputs come back at full size.</summary>
    public float Scale { get; init; } = 1;
    /// <summary>Training patches are PatchSize x PatchSize at the working scale.</summary>
    public int PatchSize { get; init; } = 128;

    public int Depth { get; init; } = 3;
    public int BaseWidth { get; init; } = 16;
    /// <summary>Recurrence steps T (1 = plain U-Net).</summary>
    public int Steps { get; init; } = 2;
    /// <summary>Cross-entropy at every step (true) or only the last.</summary>
    public bool LossAtEveryStep { get; init; } = true;
    public double Dropout { get; init; } = 0.1;
    /// <summary>Weight of the soft Dice loss on annotated pixels next to cross-entropy (0: cross-entropy only).</summary>
    public double DiceWeight { get; init; }
    /// <summary>
    /// Weight each class's annotated pixels by the inverse of its share, so a thin stroke of one class counts. Off by default:
    /// it buys recall of rare classes with false positives (lower IoU), as the imaginal-disc benchmark showed.
    /// </summary>
    public bool BalanceClasses { get; init; }

    public int PatchesPerEpoch { get; init; } = 64;
    /// <summary>Share of the annotated patch cells held out for validation when no validation images are given.</summary>
    public double ValidationShare { get; init; } = 0.2;
    public SegmentationSelection Selection { get; init; } = SegmentationSelection.Loss;
    public SegmentationAugment Augment { get; init; } = new();
    public TrainingConfig Training { get; init; } = DefaultTraining;

    public int TileSize { get; init; } = 256;
    public int TileMargin { get; init; } = 32;
    public int TileBlend { get; init; } = 32;
    public int TileBatch { get; init; } = 4;
    /// <summary>Dropout samples for MC-dropout uncertainty (suggest, and predict --mc).</summary>
    public int McSamples { get; init; } = 8;

    /// <summary>Adam at 1e-3, a constant rate that only backtracking lowers (x0.5 after 5 epochs without improvement, 3 times).</summary>
    public static TrainingConfig DefaultTraining => new()
    {
        Optimizer = OptimizerKind.Adam,
        LearningRate = 1e-3,
        WeightDecay = 1e-5,
        Epochs = 60,
        BatchSize = 8,
        Milestones = [100_000],
        BacktrackPatience = 5,
        MaxValidationBacktracks = 3,
        BacktrackFactor = 0.5,
        MaxBacktracks = 2,
    };

    /// <summary>Small and quick: 64-pixel patches, width 8, depth 3, 2 steps, short training; for demos and tests on 2 cores.</summary>
    public static SegmentationConfig Demo => new()
    {
        PatchSize = 64,
        BaseWidth = 8,
        Depth = 3,
        Steps = 2,
        PatchesPerEpoch = 48,
        TileSize = 192,
        TileMargin = 24,
        TileBlend = 16,
        McSamples = 4,
        Training = DefaultTraining with { Epochs = 30, BatchSize = 8, BacktrackPatience = 4, MaxValidationBacktracks = 2 },
    };

    public static SegmentationConfig Preset(string name) => name switch
    {
        "default" => new SegmentationConfig(),
        "demo" => Demo,
        _ => throw new ArgumentException($"unknown preset '{name}': use default or demo"),
    };

    public int Channels => Gray ? 1 : 3;

    public float[] Mean => Enumerable.Repeat(0.5f, Channels).ToArray();
    public float[] Std => Enumerable.Repeat(0.25f, Channels).ToArray();

    public UNetConfig Network(int classes) => new(Channels, classes, Depth, BaseWidth, Steps, Dropout);

    public TileOptions Tiles => new()
    {
        TileSize = TileSize,
        Margin = TileMargin,
        Blend = TileBlend,
        BatchSize = TileBatch,
        Alignment = 1 << Depth,
    };

    public LoaderOptions Loader(int seed) => new()
    {
        Height = PatchSize,
        Width = PatchSize,
        Gray = Gray,
        Mean = Mean,
        Std = Std,
        BatchSize = Training.BatchSize,
        Seed = seed,
        Augment = Augment.Loader,
        Prefetch = 2,
    };

    public void Validate()
    {
        if (Classes is < 0 or > 255) throw new ArgumentException($"classes must be 0 (from the labels) or 2..255 (got {Classes})");
        if (Classes == 1) throw new ArgumentException("a segmentation needs at least 2 classes");
        if (ClassNames.Length > 0 && Classes > 0 && ClassNames.Length != Classes)
            throw new ArgumentException($"class_names names {ClassNames.Length} classes but classes is {Classes}");
        if (IgnoreValue is < 0 or > 65535) throw new ArgumentException($"ignore_value must be 0..65535 (got {IgnoreValue})");
        if (!(Scale > 0.01f && Scale <= 4)) throw new ArgumentException($"scale must be in (0.01, 4] (got {Scale})");
        Network(Math.Max(2, Classes)).Validate();
        if (PatchSize < 8 || PatchSize % (1 << Depth) != 0)
            throw new ArgumentException($"patch_size {PatchSize} must be a multiple of {1 << Depth} (2^depth) of at least 8");
        if (DiceWeight < 0) throw new ArgumentException($"dice_weight cannot be negative (got {DiceWeight})");
        if (PatchesPerEpoch < 1) throw new ArgumentException("patches_per_epoch must be at least 1");
        if (ValidationShare is <= 0 or >= 1) throw new ArgumentException($"validation_share must be in (0, 1) (got {ValidationShare})");
        if (McSamples is < 0 or > 100) throw new ArgumentException($"mc_samples must be 0..100 (got {McSamples})");
        Tiles.Validate();
        Training.Validate("training");
    }

    /// <summary>Overrides from a JSON file (snake_case names, e.g. {"training": {"epochs": 20}, "steps": 3}) on a preset.</summary>
    public static SegmentationConfig Load(string file, SegmentationConfig baseline) =>
        ConfigOverlay.Checked(ConfigOverlay.ApplyFile(baseline, file), file);
}
