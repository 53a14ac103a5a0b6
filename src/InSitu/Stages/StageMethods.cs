using System.Diagnostics;
using InSitu.Classic;
using InSitu.Models;
using InSitu.Reports;
using InSitu.Torch;
using InSitu.Training;

namespace InSitu.Stages;

/// <summary>What one method produced on the test set for one seed.</summary>
public sealed record MethodOutcome(
    string Method, int Seed, long[] Predicted, long[]? SimilarityPredicted, double ValidationAccuracy,
    Dictionary<string, List<EpochMetrics>> Curves, double Seconds, Dictionary<string, object> Notes);


/// <summary>Training progress: (phase, epoch, epochs, batch, batches, running loss, running accuracy, images/s).</summary>
public delegate void StageProgress(string phase, int epoch, int epochs, int batch, int batches, double loss, double accuracy, double imagesPerSecond);

/// <summary>
/// The four precise-stage methods on one shared training loop (<see cref="ClassifierTrainer"/>):
/// gabor (log-Gabor features + logistic regression), plain (ResNet on the fine set), data (step 1 on ranges, new
/// 14-way head, fine set), data+feature (step 2: reference sets and L = L_CE + L_S). Each phase keeps its own
/// checkpoints under the run folder, so an interrupted method resumes where it stopped and a finished phase is reused.
/// </summary>
public sealed class StageMethods
{
    public static readonly string[] Names = { "gabor", "plain", "data", "data+feature" };
    private const int FineClasses = 14, CoarseClasses = 6;

    private readonly StageConfig _config;
    private readonly StageData _data;
    private readonly int _seed;
    private readonly string _folder;
    private readonly bool _resume;
    private readonly HashSet<string> _trained = new(); // phases finished by this runner: data+feature reuses data's

    public StageMethods(StageConfig config, StageData data, int seed, string folder, bool resume)
    {
        (_config, _data, _seed, _folder, _resume) = (config, data, seed, folder, resume);
    }

    public StageProgress? Progress { get; set; }

    public MethodOutcome Run(string method) => method switch
    {
        "gabor" => Gabor(),
        "plain" => Plain(),
        "data" => DataLevel(),
        "data+feature" => DataFeature(),
        _ => throw new ArgumentException($"unknown method '{method}': use {string.Join(", ", Names)}"),
    };

    private RunDirectory Phase(string name) => new(Path.Combine(_folder, name));

    /// <summary>Trains (or, when its final weights exist, reloads) one phase and returns its curve.</summary>
    private List<EpochMetrics> Train(ResNet net, string phase, TrainingConfig training, Tensor x, Tensor y, Tensor vx, Tensor vy,
        Func<Tensor, Tensor, (Tensor, Tensor)>? loss = null)
    {
        var run = Phase(phase);
        var done = run.File("model.pt");
        if ((_resume || _trained.Contains(phase)) && File.Exists(done) && File.Exists(run.File("curve.json")))
        {
            net.Load(done);
            return System.Text.Json.JsonSerializer.Deserialize<List<EpochMetrics>>(File.ReadAllText(run.File("curve.json")), RunDirectory.Json)!;
        }
        run.WriteJson("config.json", training with { Seed = _seed });
        var trainer = new ClassifierTrainer(net, training with { Seed = _seed }, run) { Loss = loss };
        int batches = (int)((x.Size(0) + training.BatchSize - 1) / training.BatchSize);
        trainer.OnBatch = (epoch, b, total, l, acc, ips) => Progress?.Invoke(phase, epoch + 1, training.Epochs, b, total, l, acc, ips);
        var curve = trainer.Fit(x, y, vx, vy, _resume);
        net.Save(done);
        run.WriteJson("curve.json", curve);
        _trained.Add(phase);
        return curve;
    }

    private ResNet NewNet(int classes)
    {
        TorchRuntime.ManualSeed((ulong)(_seed * 7 + classes));
        return new ResNet(_config.Network(classes));
    }

    private MethodOutcome Plain()
    {
        var watch = Stopwatch.StartNew();
        using var net = NewNet(FineClasses);
        var curve = Train(net, "plain", _config.Fine, _data.TrainX, _data.TrainY, _data.ValX, _data.ValY);
        return Outcome("plain", net, new() { ["plain"] = curve }, watch, new());
    }

    /// <summary>Step 1 (ranges) then the fine set with a new head; the net is left holding the data-level model.</summary>
    private (ResNet net, Dictionary<string, List<EpochMetrics>> curves) TrainDataLevel()
    {
        if (_data.CoarseX is null) throw new InvalidOperationException("the data methods need the coarse (range-labelled) set");
        var net = NewNet(CoarseClasses);
        // step 1 is selected on range accuracy of the fine validation images
        using var valRanges = RangeLabels(_data.ValY);
        var coarse = Train(net, "step1-ranges", _config.Coarse, _data.CoarseX, _data.CoarseY!, _data.ValX, valRanges);
        TorchRuntime.ManualSeed((ulong)(_seed * 7 + 99));
        net.ReplaceHead(FineClasses);
        var fine = Train(net, "data-fine", _config.Fine, _data.TrainX, _data.TrainY, _data.ValX, _data.ValY);
        return (net, new() { ["step1-ranges"] = coarse, ["data-fine"] = fine });
    }

    private MethodOutcome DataLevel()
    {
        var watch = Stopwatch.StartNew();
        var (net, curves) = TrainDataLevel();
        using (net) return Outcome("data", net, curves, watch, new());
    }

    private MethodOutcome DataFeature()
    {
        var watch = Stopwatch.StartNew();
        var (net, curves) = TrainDataLevel();
        using var _ = net;
        var refs = ReferenceSetBuilder.Build(net, _data.TrainX, _data.TrainY, FineClasses, _config.ReferenceRule, _config.Margin, _config.Tau,
            _config.ReferenceSets, _seed);
        using var setIndex = Tensor.FromArray(refs.Sets.SelectMany(s => s.Select(i => (long)i)).ToArray(), refs.Sets.Length, FineClasses);
        var trainX = _data.TrainX;
        (Tensor, Tensor) Loss(Tensor x, Tensor y)
        {
            // one random reference set per batch, passed through the same F so gradients reach it too
            using var pick = Factory.RandInt(0, refs.Sets.Length, new long[] { 1 });
            var refImages = trainX.IndexSelect(0, setIndex.IndexSelect(0, pick).Flatten());
            var features = net.Features(Tensor.Cat(new[] { x, refImages }));
            long b = x.Size(0);
            var f = features.Narrow(0, 0, b);
            var logits = net.Head.Forward(f);
            var loss = F.CrossEntropy(logits, y).Add(SimilarityLoss.Compute(f, features.Narrow(0, b, FineClasses), y));
            return (loss, logits);
        }
        curves["feature"] = Train(net, "feature", _config.Feature, _data.TrainX, _data.TrainY, _data.ValX, _data.ValY, Loss);

        // nearest-reference prediction: mean cosine similarity to each class's references over all k sets
        var uniqueRefs = refs.Sets.SelectMany(s => s).ToArray();
        long[] similarity;
        net.Eval();
        using (Autograd.InferenceMode())
        using (var scope = TorchRuntime.NewDisposeScope())
        {
            using var idx = Tensor.FromArray(uniqueRefs.Select(i => (long)i).ToArray(), uniqueRefs.Length);
            var refFeatures = Batched(x => net.Features(x), _data.TrainX.IndexSelect(0, idx));
            var testFeatures = Batched(x => net.Features(x), _data.TestX);
            similarity = SimilarityLoss.MeanSimilarity(testFeatures, refFeatures, FineClasses).ArgMax(1).ToLongArray();
        }
        var notes = new Dictionary<string, object>
        {
            ["reference_rule"] = _config.ReferenceRule == "margin" ? $"correct and top-1 minus top-2 logit > {_config.Margin}" : $"correct and p > {_config.Tau}",
            ["reference_sets"] = refs.Sets.Length,
            ["candidates_per_stage"] = refs.CandidatesPerClass,
            ["stages_without_confident_candidates"] = refs.FallbackClasses.Select(c => c + 4).ToArray(),
        };
        return Outcome("data+feature", net, curves, watch, notes) with { SimilarityPredicted = similarity };
    }

    /// <summary>f applied to x in batches of 64, concatenated (bounded peak memory for large sets).</summary>
    internal static Tensor Batched(Func<Tensor, Tensor> f, Tensor x)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var parts = new List<Tensor>();
        for (long s = 0; s < x.Size(0); s += 64) parts.Add(f(x.Narrow(0, s, Math.Min(64, x.Size(0) - s))));
        return scope.MoveToOuter(Tensor.Cat(parts));
    }

    private MethodOutcome Outcome(string method, ResNet net, Dictionary<string, List<EpochMetrics>> curves, Stopwatch watch, Dictionary<string, object> notes)
    {
        var predicted = ClassifierTrainer.Predict(net, _data.TestX, 64);
        double val = ClassifierTrainer.Accuracy(net, _data.ValX, _data.ValY, 64);
        net.Save(Path.Combine(_folder, $"{Slug(method)}.model.pt"));
        new RunDirectory(_folder).WriteJson($"{Slug(method)}.model.json", new StageModelInfo(method, _config, $"{Slug(method)}.model.pt"));
        return new MethodOutcome(method, _seed, predicted, null, val, curves, watch.Elapsed.TotalSeconds, notes);
    }

    public static string Slug(string method) => method.Replace('+', '_');

    private static Tensor RangeLabels(Tensor fineLabels) =>
        Tensor.FromArray(fineLabels.ToLongArray().Select(c => (long)Data.StageRanges.Of((int)c + 4) - 1).ToArray(), fineLabels.Size(0));

    private MethodOutcome Gabor()
    {
        var watch = Stopwatch.StartNew();
        if (!_config.Gray) throw new ArgumentException("the Gabor baseline works on grey images (set gray: true)");
        using var bank = new LogGaborBank();
        using var scope = TorchRuntime.NewDisposeScope();
        using var noGrad = Autograd.NoGrad();
        var train = Batched(bank.Features, _data.TrainX);
        var val = Batched(bank.Features, _data.ValX);
        var test = Batched(bank.Features, _data.TestX);
        // the regulariser is chosen on validation, as for every other method
        var valTruth = _data.ValY.ToLongArray();
        (double lambda, double acc) best = (double.NaN, -1);
        var tried = new Dictionary<string, double>();
        foreach (var lambda in _config.GaborLambdas)
        {
            using var lr = new LogisticRegression(FineClasses, lambda);
            using (Autograd.EnableGrad()) lr.Fit(train, _data.TrainY);
            var p = lr.Predict(val);
            double acc = p.Where((v, i) => v == valTruth[i]).Count() / (double)p.Length;
            tried[lambda.ToString("G3", System.Globalization.CultureInfo.InvariantCulture)] = acc;
            if (acc > best.acc) best = (lambda, acc);
        }
        using var chosen = new LogisticRegression(FineClasses, best.lambda);
        using (Autograd.EnableGrad()) chosen.Fit(train, _data.TrainY);
        var predicted = chosen.Predict(test);
        var notes = new Dictionary<string, object> { ["lambda"] = best.lambda, ["validation_accuracy_by_lambda"] = tried, ["features"] = train.Size(1) };
        return new MethodOutcome("gabor", _seed, predicted, null, best.acc, new(), watch.Elapsed.TotalSeconds, notes);
    }
}
