using InSitu.Common;
using InSitu.Data;
using InSitu.Training;

namespace InSitu.Workflows.Bags;

/// <summary>The per-image CNN: RegNetY-200MF (the paper's), the toolkit's paper ResNet, or MobileNetV2 (nsfwjs weights).</summary>
public enum BagBackbone { RegNetY200MF, ResNet, MobileNetV2 }

/// <summary>
/// How the per-attribute weights w_m enter the BCE. <see cref="Attribute"/>: the paper's Eq. 4, w_m multiplies the whole loss
/// of attribute m. <see cref="Positives"/>: the published code, w_m multiplies the positive term only (as pos_weight).
/// </summary>
public enum BceWeighting { Attribute, Positives }

/// <summary>What happens to a bag with more images than <see cref="BagConfig.MaxBagSize"/>.</summary>
public enum LongBagPolicy
{
    /// <summary>Cut into consecutive parts of near-equal size, each a bag with the whole bag's terms; predictions of the
    /// parts are averaged back into one for the bag.</summary>
    Split,

    /// <summary>Stop with an error naming the bag.</summary>
    Refuse,
}

/// <summary>
/// The paper's components, each switchable for the ablation (METHODS.md section 5). Off means: no focal term (gamma 0,
/// plain weighted BCE); weights w_m = 1; weights held at w_m (no tempering); no stage masks; no self-supervised warm-up;
/// no augmentation (the normalisation stays); a constant learning rate instead of the cosine; no BiLSTM (the bag's
/// probabilities are the mean of its images' CNN probabilities).
/// </summary>
public sealed record BagComponents
{
    public bool FocalLoss { get; init; } = true;
    public bool WeightedBce { get; init; } = true;
    public bool Tempering { get; init; } = true;
    public bool StageMasks { get; init; } = true;
    public bool Warmup { get; init; } = true;
    public bool Augmentation { get; init; } = true;
    public bool CosineSchedule { get; init; } = true;
    public bool Lstm { get; init; } = true;
}

/// <summary>
/// Everything a gene-stage bag run depends on. The defaults are the paper's (METHODS.md section 5, seed 004):
/// RegNetY-200MF on grey 112x336 images normalised with mean 0.61 and std 0.12; flips, rotation up to 15 degrees, a random
/// shift of up to 4 pixels (the random crop with padding 4), Gaussian blur and noise; warm-up 2 epochs at batch 32; CNN
/// 100 epochs at batch 128, Adam lr 0.005 cosine-annealed to 1e-8 over 90 epochs, focal gamma 1 -> 2 over the first 10,
/// tempering from epoch 40 to 85 with half-period 30; a 2-layer BiLSTM of hidden size 1024, dropout 0.5, 60 epochs at
/// batch 256 bags, Adam lr 0.01 cosine to 1e-8; the 30 most frequent attributes; 45% / 5% / 50% of the bags for
/// train / validation / test. Every schedule is a share of its phase's epochs, so a shorter run keeps its shape.
/// </summary>
public sealed record BagConfig : IValidatedSettings
{
    public BagBackbone Backbone { get; init; } = BagBackbone.RegNetY200MF;
    /// <summary>ResNet backbone: the width of its first stage.</summary>
    public int ResnetWidth { get; init; } = 64;
    /// <summary>MobileNetV2 backbone: start from the stored nsfwjs weights (`insitu weights get mobilenet_v2`).</summary>
    public bool Pretrained { get; init; } = true;
    public int Height { get; init; } = 112;
    public int Width { get; init; } = 336;
    public float Mean { get; init; } = 0.61f;
    public float Std { get; init; } = 0.12f;
    /// <summary>Random shift in pixels: the paper's random crop of the image padded by 4.</summary>
    public int CropPadding { get; init; } = 4;
    public float MaxRotationDegrees { get; init; } = 15;

    /// <summary>How many of the most frequent terms (by training bags) become the attributes, unless --terms names them.</summary>
    public int Attributes { get; init; } = 30;

    public TrainingConfig Warmup { get; init; } = PaperWarmup;
    public TrainingConfig Cnn { get; init; } = PaperCnn;
    public TrainingConfig Lstm { get; init; } = PaperLstm;

    /// <summary>
    /// The bag model's training features: 0 extracts them once from the unaugmented training images (the paper's code);
    /// k &gt; 0 extracts k augmented views of every training image and epoch e trains on view e mod k, so the bag model
    /// also sees features as noisy as those of images the CNN has not fitted.
    /// </summary>
    public int LstmFeatureViews { get; init; }
    public int LstmHidden { get; init; } = 1024;
    public int LstmLayers { get; init; } = 2;
    public double Dropout { get; init; } = 0.5;

    /// <summary>Focal gamma: from 1 to 2 over this share of a phase's epochs (10 of 100 in the paper).</summary>
    public double GammaShare { get; init; } = 0.1;
    public double GammaStart { get; init; } = 1;
    public double GammaEnd { get; init; } = 2;
    /// <summary>Tempering window and half-period as shares of the CNN's epochs (40, 85 and 30 of 100 in the paper).</summary>
    public double TemperingStartShare { get; init; } = 0.40;
    public double TemperingStopShare { get; init; } = 0.85;
    public double TemperingHalfPeriodShare { get; init; } = 0.30;
    public BceWeighting Weighting { get; init; } = BceWeighting.Attribute;
    public BagComponents Components { get; init; } = new();

    /// <summary>Bags with more images than this are split or refused (<see cref="LongBags"/>).</summary>
    public int MaxBagSize { get; init; } = 128;
    public LongBagPolicy LongBags { get; init; } = LongBagPolicy.Split;

    /// <summary>Shares of the bags for train, validation and test when the manifest has no split column.</summary>
    public double TrainShare { get; init; } = 0.45;
    public double ValidationShare { get; init; } = 0.05;
    public double TestShare { get; init; } = 0.50;

    public static TrainingConfig PaperWarmup => new()
    {
        Epochs = 2,
        BatchSize = 32,
        Optimizer = OptimizerKind.Adam,
        LearningRate = 0.001,
        WeightDecay = 0,
        Schedule = ScheduleKind.Cosine,
        MinLearningRate = 1e-7,
    };

    public static TrainingConfig PaperCnn => new()
    {
        Epochs = 100,
        BatchSize = 128,
        Optimizer = OptimizerKind.Adam,
        LearningRate = 0.005,
        WeightDecay = 0,
        Schedule = ScheduleKind.Cosine,
        CosineEpochs = 90,
        MinLearningRate = 1e-8,
    };

    public static TrainingConfig PaperLstm => new()
    {
        Epochs = 60,
        BatchSize = 256,
        Optimizer = OptimizerKind.Adam,
        LearningRate = 0.01,
        WeightDecay = 0,
        Schedule = ScheduleKind.Cosine,
        MinLearningRate = 1e-8,
    };

    /// <summary>
    /// A preset that runs the whole ablation in minutes on two cores: grey 40x120 images, 6 CNN epochs at batch 32, a BiLSTM
    /// of hidden size 128 for 30 epochs, one warm-up epoch, and a larger validation share (15%) so that the thresholds of a
    /// few hundred bags are not chosen on a handful. It changes scale, not method: every schedule keeps its shape.
    /// </summary>
    public static BagConfig Demo => new()
    {
        Height = 40,
        Width = 120,
        Warmup = PaperWarmup with { Epochs = 1, BatchSize = 16 },
        Cnn = PaperCnn with { Epochs = 6, BatchSize = 32, LearningRate = 0.003, CosineEpochs = 5 },
        Lstm = PaperLstm with { Epochs = 30, BatchSize = 32, LearningRate = 0.003 },
        LstmHidden = 128,
        TrainShare = 0.45,
        ValidationShare = 0.15,
        TestShare = 0.40,
    };

    /// <summary>The focal gamma schedule of a phase, or gamma 0 throughout when the focal loss is switched off.</summary>
    public FocalGammaSchedule Gamma(TrainingConfig phase) => Components.FocalLoss
        ? new FocalGammaSchedule(GammaStart, GammaEnd, Math.Max(1, GammaShare * phase.Epochs))
        : new FocalGammaSchedule(0, 0, 1);

    /// <summary>The tempering of the CNN phase's weights (40 / 85 / 30 of 100 epochs, scaled).</summary>
    public MultipleTempering Tempering => new(TemperingStartShare * Cnn.Epochs, TemperingStopShare * Cnn.Epochs,
        Math.Max(0.5, TemperingHalfPeriodShare * Cnn.Epochs));

    /// <summary>A phase's training settings for a seed, with a constant rate when the cosine schedule is switched off.</summary>
    public TrainingConfig Phase(TrainingConfig phase, int seed) =>
        (Components.CosineSchedule ? phase : phase with { Schedule = ScheduleKind.MultiStep, Milestones = Array.Empty<int>() })
        with
        { Seed = seed };

    /// <summary>
    /// How images become the CNN's input: grey, resized to the model's size, (x - 0.61) / 0.12; augmented for training. The
    /// paper resizes BDGP's 320x128 images to 340x116, changing the aspect by 17%; up to 25% is accepted, so raw photos
    /// (1520x1080) are still refused rather than squashed.
    /// </summary>
    public LoaderOptions Loader(int batchSize, bool augment, int seed) => new()
    {
        Height = Height,
        Width = Width,
        Gray = true,
        BatchSize = batchSize,
        Mean = new[] { Mean },
        Std = new[] { Std },
        MaxAspectChange = 0.25f,
        Seed = seed,
        Shuffle = augment,
        Augment = augment && Components.Augmentation
            ? new AugmentOptions(true, true, MaxRotationDegrees, CropPadding, 0.3f, 1.0f, 0.02f)
            : AugmentOptions.None,
    };

    public void Validate()
    {
        void Require(bool ok, string what)
        {
            if (!ok) throw new ArgumentException(what);
        }
        Require(Height >= 32 && Width >= 32, $"height and width must be at least 32 (got {Height}x{Width})");
        Require(Std > 0 && float.IsFinite(Mean), "std must be positive and mean finite");
        Require(CropPadding >= 0 && MaxRotationDegrees is >= 0 and <= 180, "crop_padding and max_rotation_degrees must be non-negative");
        Require(Attributes >= 1, $"attributes must be at least 1 (got {Attributes})");
        Require(ResnetWidth >= 1, "resnet_width must be at least 1");
        Require(LstmHidden >= 1 && LstmLayers >= 1, "lstm_hidden and lstm_layers must be at least 1");
        Require(LstmFeatureViews >= 0, $"lstm_feature_views cannot be negative (got {LstmFeatureViews})");
        Require(Dropout is >= 0 and < 1, $"dropout must be in [0, 1) (got {Dropout})");
        Require(GammaShare is > 0 and <= 1 && GammaStart >= 0 && GammaEnd >= 0, "gamma_share must be in (0, 1], gammas non-negative");
        Require(TemperingStartShare >= 0 && TemperingStopShare >= TemperingStartShare && TemperingHalfPeriodShare > 0,
            "tempering shares must satisfy 0 <= start <= stop and half-period > 0");
        Require(MaxBagSize >= 1, $"max_bag_size must be at least 1 (got {MaxBagSize})");
        Require(TrainShare > 0 && ValidationShare > 0 && TestShare > 0 && Math.Abs(TrainShare + ValidationShare + TestShare - 1) < 1e-6,
            "train_share, validation_share and test_share must be positive and sum to 1");
        Warmup.Validate("warmup");
        Cnn.Validate("cnn");
        Lstm.Validate("lstm");
    }

    /// <summary>Overrides from a JSON file (snake_case names, e.g. {"cnn": {"epochs": 20}}) on top of
    /// <paramref name="baseline"/>.</summary>
    public static BagConfig Load(string file, BagConfig baseline) =>
        ConfigOverlay.Checked(ConfigOverlay.ApplyFile(baseline, file), file);

    public static BagConfig FromJson(string json, BagConfig baseline, string source) =>
        ConfigOverlay.Checked(ConfigOverlay.Apply(baseline, json, source), source);

}
