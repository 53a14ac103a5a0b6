using InSitu.Data;
using InSitu.Torch;

namespace InSitu.Stages;

/// <summary>
/// The two sets of the two-step method, as tensors at the model's input size. Fine set Ds: images with a precise
/// stage 4..17 (class = stage - 4), split into train, val (model selection) and test. Coarse set Dt: training images
/// with a stage range but no precise stage (class = range - 1). Splits come from the manifest's split column; when it
/// has none, a seeded split grouped by gene is made (test share as in the paper, validation carved from training).
/// </summary>
public sealed class StageData : IDisposable
{
    public required Tensor TrainX { get; init; }
    public required Tensor TrainY { get; init; }
    public required Tensor ValX { get; init; }
    public required Tensor ValY { get; init; }
    public required Tensor TestX { get; init; }
    public required Tensor TestY { get; init; }
    public Tensor? CoarseX { get; init; }
    public Tensor? CoarseY { get; init; }
    public required IReadOnlyList<ManifestRow> TestRows { get; init; }

    public static StageData Load(Manifest manifest, StageConfig config, int seed, bool needCoarse)
    {
        var m = manifest;
        bool hasSplits = m.Rows.Any(r => r.Split is not null);
        if (!hasSplits) m = SplitMaker.Split(m, 1 - config.TestShare, 0, config.TestShare, seed);
        bool Fine(ManifestRow r) => r.Stage is >= 4 and <= 17;
        var fine = Enumerable.Range(0, m.Rows.Count).Where(i => Fine(m.Rows[i])).ToList();
        if (fine.Count == 0) throw new InvalidDataException("the manifest has no images with a precise stage 4..17 (column 'stage')");
        var train = fine.Where(i => m.Rows[i].Split is "train").ToList();
        var val = fine.Where(i => m.Rows[i].Split is "val").ToList();
        var test = fine.Where(i => m.Rows[i].Split is "test").ToList();
        if (val.Count == 0) (train, val) = CarveValidation(m, train, config.ValidationShare, seed);
        foreach (var (name, set) in new[] { ("train", train), ("val", val), ("test", test) })
            if (set.Count == 0) throw new InvalidDataException($"no precisely staged images in the {name} split");
        var missing = Enumerable.Range(4, 14).Where(s => !train.Any(i => m.Rows[i].Stage == s)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"no training images of stage(s) {string.Join(", ", missing)}: every stage 4..17 needs precisely labelled training images");

        List<int>? coarse = null;
        if (needCoarse)
        {
            coarse = Enumerable.Range(0, m.Rows.Count).Where(i => !Fine(m.Rows[i]) && m.Rows[i].Range is not null && m.Rows[i].Split is not "test").ToList();
            if (coarse.Count == 0)
                throw new InvalidDataException("the 'data' methods need images labelled with a stage range only (column 'range', no 'stage'); the manifest has none");
        }
        var options = config.Loader();
        (Tensor x, Tensor y) Load(List<int> rows, Func<ManifestRow, long> label) => LoadTensors(m, options, rows, label);
        var (trX, trY) = Load(train, r => r.Stage!.Value - 4);
        var (vX, vY) = Load(val, r => r.Stage!.Value - 4);
        var (teX, teY) = Load(test, r => r.Stage!.Value - 4);
        Tensor? cX = null, cY = null;
        if (coarse is not null) (cX, cY) = Load(coarse, r => r.Range!.Value - 1);
        return new StageData { TrainX = trX, TrainY = trY, ValX = vX, ValY = vY, TestX = teX, TestY = teY, CoarseX = cX, CoarseY = cY,
            TestRows = test.Select(i => m.Rows[i]).ToList() };
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

    public static (Tensor x, Tensor y) LoadTensors(Manifest m, LoaderOptions options, IReadOnlyList<int> rows, Func<ManifestRow, long> label)
    {
        var loader = new ImageBatchLoader(m, options, label, rows);
        var xs = new List<Tensor>();
        var ys = new List<Tensor>();
        foreach (var b in loader.Epoch(0))
        {
            xs.Add(b.Images);
            ys.Add(b.Labels!);
        }
        var x = Tensor.Cat(xs);
        var y = Tensor.Cat(ys);
        foreach (var t in xs.Concat(ys)) t.Dispose();
        return (x, y);
    }

    public void Dispose()
    {
        foreach (var t in new[] { TrainX, TrainY, ValX, ValY, TestX, TestY, CoarseX, CoarseY }) t?.Dispose();
    }
}
