using InSitu.Data;
using InSitu.Training;

namespace InSitu.Workflows.Stages;

/// <summary>
/// The two sets of the two-step method, as manifest rows served by batch sources. Fine set Ds: images with a precise
/// stage 4..17 (class = <see cref="PreciseStage.Class"/>), split into train, val (model selection) and test. Coarse
/// set Dt: training images with a stage range but no precise stage (class = range - 1). Splits come from the
/// manifest's split column; when it has none, a seeded split grouped by gene is made (test share as in the paper,
/// validation carved from training). Decoded images are shared through one cache, so epochs after the first and
/// later seeds do not decode again.
/// </summary>
public sealed class StageData
{
    private readonly Manifest _manifest;
    private readonly StageConfig _config;
    private readonly DecodedImageCache _cache;

    private StageData(Manifest manifest, StageConfig config, int seed, DecodedImageCache cache)
    {
        (_manifest, _config, Seed, _cache) = (manifest, config, seed, cache);
    }

    public int Seed { get; }
    public required IReadOnlyList<int> Train { get; init; }
    public required IReadOnlyList<int> Val { get; init; }
    public required IReadOnlyList<int> Test { get; init; }
    /// <summary>Range-only training images; null when the methods run need none.</summary>
    public IReadOnlyList<int>? Coarse { get; init; }

    public IReadOnlyList<ManifestRow> TestRows => Test.Select(i => _manifest.Rows[i]).ToList();
    public long[] TrainTruth => Train.Select(i => FineLabel(_manifest.Rows[i])).ToArray();
    public long[] ValTruth => Val.Select(i => FineLabel(_manifest.Rows[i])).ToArray();
    public long[] TestTruth => Test.Select(i => FineLabel(_manifest.Rows[i])).ToArray();

    public static long FineLabel(ManifestRow r) => new PreciseStage(r.Stage!.Value).Class;

    public static long RangeLabel(ManifestRow r) => r.Range!.Value - 1;

    public static StageData Load(Manifest manifest, StageConfig config, int seed, bool needCoarse, DecodedImageCache? cache = null)
    {
        var m = manifest;
        bool hasSplits = m.Rows.Any(r => r.Split is not null);
        if (!hasSplits) m = SplitMaker.Split(m, 1 - config.TestShare, 0, config.TestShare, seed);
        bool Fine(ManifestRow r) => PreciseStage.IsPrecise(r.Stage);
        var fine = Enumerable.Range(0, m.Rows.Count).Where(i => Fine(m.Rows[i])).ToList();
        if (fine.Count == 0)
            throw new InvalidDataException($"the manifest has no images with a precise stage " +
                $"{PreciseStage.First}..{PreciseStage.Last} (column 'stage')");
        var train = fine.Where(i => m.Rows[i].Split is "train").ToList();
        var val = fine.Where(i => m.Rows[i].Split is "val").ToList();
        var test = fine.Where(i => m.Rows[i].Split is "test").ToList();
        if (val.Count == 0) (train, val) = CarveValidation(m, train, config.ValidationShare, seed);
        foreach (var (name, set) in new[] { ("train", train), ("val", val), ("test", test) })
            if (set.Count == 0) throw new InvalidDataException($"no precisely staged images in the {name} split");
        var missing = PreciseStage.All.Where(s => !train.Any(i => m.Rows[i].Stage == s.Value)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"no training images of stage(s) {string.Join(", ", missing)}: every stage " +
                $"{PreciseStage.First}..{PreciseStage.Last} needs precisely labelled training images");

        List<int>? coarse = null;
        if (needCoarse)
        {
            coarse = Enumerable.Range(0, m.Rows.Count)
                .Where(i => m.Rows[i].Stage is null && m.Rows[i].Range is not null && m.Rows[i].Split is not "test").ToList();
            if (coarse.Count == 0)
                throw new InvalidDataException("the 'data' methods need images labelled with a stage range only (column 'range', no " +
                    "'stage'); the manifest has none");
        }
        return new StageData(m, config, seed, cache ?? new DecodedImageCache()) { Train = train, Val = val, Test = test, Coarse = coarse };
    }

    /// <summary>Holds out a share of each stage's training images (grouped by gene where genes are known).</summary>
    private static (List<int> train, List<int> val) CarveValidation(Manifest m, List<int> train, double share, int seed)
    {
        var sub = new Manifest(train.Select(i => m.Rows[i] with { Split = null }), m.BaseDirectory);
        var split = SplitMaker.Split(sub, 1 - share, share, 0, seed + 7919);
        var keep = new List<int>();
        var val = new List<int>();
        for (int k = 0; k < train.Count; k++) (split.Rows[k].Split == "val" ? val : keep).Add(train[k]);
        return (keep, val);
    }

    /// <summary>Shuffled, per-image flipped batches of the fine training set (or the coarse set) for one phase.</summary>
    public ImageBatchLoader Training(TrainingConfig phase, bool coarse = false)
    {
        var rows = coarse ? Coarse ?? throw new InvalidOperationException("no coarse set was loaded") : Train;
        var options = _config.Loader(phase.BatchSize) with
        {
            Shuffle = true,
            Seed = Seed,
            Augment = AugmentOptions.None with { FlipHorizontal = phase.FlipHorizontal, FlipVertical = phase.FlipVertical },
        };
        return new ImageBatchLoader(_manifest, options, coarse ? RangeLabel : FineLabel, rows, _cache);
    }

    /// <summary>Rows in order, unaugmented, for validation, testing and feature extraction.</summary>
    public ImageBatchLoader Evaluation(IReadOnlyList<int> rows, Func<ManifestRow, long>? label = null) =>
        new(_manifest, _config.Loader(), label ?? FineLabel, rows, _cache);
}
