using System.Text.Json.Serialization;
using InSitu.Classic;
using InSitu.Common;
using InSitu.Data;
using InSitu.Models;
using InSitu.Models.Pretrained;
using InSitu.Training;

namespace InSitu.Workflows.Terms;

/// <summary>The sparse-coding baseline (and bag-of-words): dense SIFT-like descriptors, a learned vocabulary, pyramid pooling.</summary>
public sealed record LocalCodingConfig
{
    /// <summary>Grey images are resized to this size for the descriptors.</summary>
    public int Height { get; init; } = 128;
    public int Width { get; init; } = 320;
    /// <summary>Pixels per descriptor cell (a descriptor covers 4 x 4 cells) and cells between descriptors.</summary>
    public int CellSize { get; init; } = 4;
    public int Step { get; init; } = 1;
    public double ContrastThreshold { get; init; } = 0.02;
    /// <summary>Dictionary atoms (sparse coding) or visual words (bag of words).</summary>
    public int Words { get; init; } = 512;
    /// <summary>LASSO weight alpha of the codes: 1/2 ||x - a D||^2 + alpha ||a||_1.</summary>
    public double SparsityAlpha { get; init; } = 0.15;
    public int DictionaryRounds { get; init; } = 5;
    public int CodingIterations { get; init; } = 50;
    /// <summary>Descriptors (of training images, non-zero ones) the vocabulary is learned from.</summary>
    public int DictionarySample { get; init; } = 50000;
    /// <summary>Spatial pyramid: the whole image (1), then l x l cells per further level.</summary>
    public int[] PyramidLevels { get; init; } = [1, 2, 4];

    public void Validate()
    {
        if (Height < 16 || Width < 16) throw new ArgumentException("coding.height and coding.width must be at least 16");
        if (CellSize < 1 || Step < 1) throw new ArgumentException("coding.cell_size and coding.step must be at least 1");
        new DenseSift(CellSize, Step, ContrastThreshold).Grid(Height, Width);
        if (Words < 2) throw new ArgumentException("coding.words must be at least 2");
        if (!(SparsityAlpha > 0)) throw new ArgumentException("coding.sparsity_alpha must be positive");
        if (DictionaryRounds < 0
            || CodingIterations < 1) throw new ArgumentException("coding.dictionary_rounds/coding_iterations out of range");
        if (DictionarySample < Words) throw new ArgumentException("coding.dictionary_sample must be at least coding.words");
        if (PyramidLevels.Length == 0 || PyramidLevels.Any(l => l < 1)) throw new ArgumentException("coding.pyramid_levels must be >= 1");
    }
}

/// <summary>
/// Everything a CV-term run depends on (METHODS.md section 4). The defaults are the paper's: VGG16 at 224x224
/// (images squashed to the square, as the paper fed them), features of layer 21 (relu4_2, 401,408 values) flattened,
/// per stage range the 10 most frequent terms, per term an ensemble of L2 logistic regressions on undersampled
/// training sets voting by majority, the regulariser chosen by inner validation, 30% of the genes for testing.
/// Any field can be overridden by a JSON file (--config); the resolved config is saved with every run.
/// </summary>
public sealed record TermsConfig : IValidatedSettings
{
    /// <summary>The pretrained network: mobilenet_v2, vgg16, resnet18 or resnet50 (<see cref="PretrainedArchitecture"/>).</summary>
    public string Network { get; init; } = "vgg16";
    /// <summary>Its weights file (a stored NAME.pt or a torchvision .pth); default: the weights store's.</summary>
    public string? Weights { get; init; }
    public int Height { get; init; } = 224;
    public int Width { get; init; } = 224;
    /// <summary>Refuse images whose aspect differs by more than this share; null resizes any image (the paper squashed).</summary>
    public double? MaxAspectChange { get; init; }
    /// <summary>Tap points whose outputs, flattened and concatenated, are the features (names, aliases or VGG16 numbers).</summary>
    public string[] Taps { get; init; } = ["21"];
    /// <summary>Tap maps larger than this grid (rows, columns) are average-pooled down to it; null keeps them whole.</summary>
    public int[]? PoolGrid { get; init; }
    /// <summary>Layer comparison: each of these taps alone, for tl (and tl+mtl); empty: none.</summary>
    public string[] Layers { get; init; } = [];

    /// <summary>Stage ranges annotated (2..6 = 4-6 ... 13-17); a manifest without ranges is one task, "all".</summary>
    public int[] Ranges { get; init; } = [2, 3, 4, 5, 6];
    /// <summary>Terms per range: the most frequent ones.</summary>
    public int TopTerms { get; init; } = 10;
    /// <summary>Each image's class (column 'label') is its one term: a multi-class set (e.g. cell types) as one-vs-rest tasks.</summary>
    public bool LabelsAsTerms { get; init; }
    /// <summary>Terms chosen by hand per task ("4-6", ..., or "all"), instead of the most frequent ones.</summary>
    public Dictionary<string, string[]>? Terms { get; init; }
    /// <summary>Share of the genes held out for testing when the manifest has no split (the rest trains).</summary>
    public double TestShare { get; init; } = 0.3;
    /// <summary>Share of the training genes the fine-tuning selects its epoch on.</summary>
    public double ValidationShare { get; init; } = 0.15;

    public LogisticEnsembleOptions Classifier { get; init; } = new();

    /// <summary>Multi-task fine-tuning (tl+mtl): all layers, one sigmoid output per term, loss = sum of per-term BCE.</summary>
    public TrainingConfig Finetune { get; init; } = new()
    {
        Epochs = 10,
        BatchSize = 16,
        LearningRate = 0.001,
        Momentum = 0.9,
        WeightDecay = 5e-4,
        Milestones = [7],
        FlipHorizontal = false,
        FlipVertical = false,
    };
    /// <summary>The tap the term outputs sit on (global-average-pooled if a map); null: the network's last hidden layer.</summary>
    public string? HeadTap { get; init; }
    public double HeadDropout { get; init; } = 0.5;
    /// <summary>Keep the pretrained batch-norm statistics while fine-tuning (train and eval passes then agree).</summary>
    public bool FreezeBatchNorm { get; init; } = true;
    /// <summary>tl-random: batches of training images its batch-norm statistics are estimated from (no labels used).</summary>
    public int RecalibrationBatches { get; init; } = 10;

    public LocalCodingConfig Coding { get; init; } = new();

    /// <summary>Memory for one block of feature columns while the Gram matrices are built.</summary>
    public long FeatureBlockBytes { get; init; } = 256L << 20;

    /// <summary>
    /// Minutes on two cores: MobileNetV2 (the weights this machine can have) at 64x160, features of block_9 (stride 16,
    /// 64 x 4 x 10; the best layer of a pilot layer comparison, as the paper chose its layer 21), the term outputs on
    /// block_12 and 4 epochs of Adam for fine-tuning, sparse coding of 64x160 grey images with 128 atoms. It changes
    /// scale, not method.
    /// </summary>
    public static TermsConfig Demo => new()
    {
        Network = "mobilenet_v2",
        Height = 64,
        Width = 160,
        MaxAspectChange = 0.15,
        Taps = ["block_9"],
        Layers = ["block_2", "block_5", "block_9", "block_12", "out_relu"],
        Classifier = new LogisticEnsembleOptions { Members = 15 },
        HeadTap = "block_12",
        Finetune = new TrainingConfig
        {
            Epochs = 4,
            BatchSize = 32,
            Optimizer = OptimizerKind.Adam,
            LearningRate = 3e-4,
            WeightDecay = 0,
            Milestones = [4],
            FlipHorizontal = false,
            FlipVertical = false,
        },
        Coding = new LocalCodingConfig
        {
            Height = 64,
            Width = 160,
            Step = 2,
            Words = 128,
            DictionarySample = 20000,
            DictionaryRounds = 3,
            PyramidLevels = [1, 2],
        },
    };

    [JsonIgnore]
    public PretrainedArchitecture Architecture => PretrainedArchitecture.Find(Network);

    /// <summary>The head's tap when none is set: the last layer before the network's own classifier.</summary>
    [JsonIgnore]
    public string ResolvedHeadTap => HeadTap ?? Network switch
    {
        "mobilenet_v2" => "out_relu",
        "vgg16" => "relu7",
        _ => "layer4",
    };

    /// <summary>How images become the network's input: RGB at its size, normalised as its weights expect.</summary>
    public LoaderOptions Loader(int batchSize = 32) => new()
    {
        Height = Height,
        Width = Width,
        Gray = false,
        BatchSize = batchSize,
        MaxAspectChange = (float?)MaxAspectChange,
        // nsfwjs's MobileNetV2 takes RGB in [0, 1]; torchvision's weights take ImageNet-normalised RGB
        Mean = Network == "mobilenet_v2" ? [0f, 0f, 0f] : ImageNetNormalization.Mean,
        Std = Network == "mobilenet_v2" ? [1f, 1f, 1f] : ImageNetNormalization.Std,
    };

    /// <summary>Grey images in [0, 1] at the descriptor size, for the sparse-coding and bag-of-words baselines.</summary>
    public LoaderOptions CodingLoader(int batchSize = 32) => new()
    {
        Height = Coding.Height,
        Width = Coding.Width,
        Gray = true,
        BatchSize = batchSize,
        MaxAspectChange = (float?)MaxAspectChange,
        Mean = [0f],
        Std = [1f],
    };

    public void Validate()
    {
        _ = Architecture;
        if (Height < 32 || Width < 32) throw new ArgumentException($"height and width must be at least 32 (got {Height}x{Width})");
        if (MaxAspectChange is { } a && !(a > 0)) throw new ArgumentException("max_aspect_change must be positive or null");
        if (Taps.Length == 0) throw new ArgumentException("taps needs at least one tap point");
        if (PoolGrid is { } g && (g.Length != 2 || g.Any(v => v < 1)))
            throw new ArgumentException("pool_grid must be [rows, columns], both at least 1, or null");
        if (Ranges.Any(r => r is < 1 or > 6)) throw new ArgumentException("ranges must be stage range numbers 1..6");
        if (TopTerms < 1) throw new ArgumentException($"top_terms must be at least 1 (got {TopTerms})");
        if (TestShare is <= 0 or >= 1 || ValidationShare is <= 0 or >= 1)
            throw new ArgumentException("test_share and validation_share must be in (0, 1)");
        if (HeadDropout is < 0 or >= 1) throw new ArgumentException("head_dropout must be in [0, 1)");
        if (RecalibrationBatches < 1) throw new ArgumentException("recalibration_batches must be at least 1");
        if (FeatureBlockBytes < 1 << 20) throw new ArgumentException("feature_block_bytes must be at least 1 MiB");
        Classifier.Validate();
        Finetune.Validate("finetune");
        Coding.Validate();
    }

    public static TermsConfig Load(string file, TermsConfig baseline) =>
        ConfigOverlay.Checked(ConfigOverlay.ApplyFile(baseline, file), file);

    public static TermsConfig FromJson(string json, TermsConfig baseline, string source) =>
        ConfigOverlay.Checked(ConfigOverlay.Apply(baseline, json, source), source);


    /// <summary>A preset by name: paper or demo.</summary>
    public static TermsConfig Preset(string name) => name switch
    {
        "paper" => new TermsConfig(),
        "demo" => Demo,
        _ => throw new ArgumentException($"unknown preset '{name}': use paper or demo"),
    };
}
