using System.Diagnostics;
using InSitu.Classic;
using InSitu.Data;
using InSitu.Models;
using InSitu.Reports;
using InSitu.Torch;
using InSitu.Training;

namespace InSitu.Workflows.Stages;

/// <summary>What one method produced on the test set for one seed.</summary>
public sealed record MethodOutcome(
    string Method, int Seed, long[] Predicted, long[]? SimilarityPredicted, double ValidationAccuracy,
    Dictionary<string, List<EpochMetrics>> Curves, double Seconds, Dictionary<string, object> Notes);

/// <summary>Training progress of one phase (e.g. "step1-ranges") of a method.</summary>
public delegate void StageProgress(string phase, BatchProgress progress);

/// <summary>
/// Runs the precise-stage methods for one seed on the shared <see cref="Trainer{TBatch}"/>: gabor (log-Gabor
/// features + logistic regression), plain (ResNet on the fine set), data (step 1 on ranges, new 14-way head, fine
/// set), data+feature (step 2: reference sets and L = L_CE + L_S). Each phase keeps its own checkpoints under the
/// run folder, so an interrupted method resumes where it stopped and a finished phase is reused.
/// </summary>
public sealed class StageMethodRunner
{
    private const int FineClasses = PreciseStage.Count, CoarseClasses = 6;

    private readonly StageConfig _config;
    private readonly StageData _data;
    private readonly int _seed;
    private readonly string _folder;
    private readonly bool _resume;
    private readonly HashSet<string> _trained = new(); // phases finished by this runner: data+feature reuses data's

    public StageMethodRunner(StageConfig config, StageData data, int seed, string folder, bool resume)
    {
        (_config, _data, _seed, _folder, _resume) = (config, data, seed, folder, resume);
    }

    public StageProgress? Progress { get; set; }

    /// <summary>The file name (without extension) each method's trained network is saved under in the run folder.</summary>
    public Func<StageMethod, string> ModelName { get; init; } = m => $"{m.Slug}.model";

    public MethodOutcome Run(StageMethod method) => method.Run(this);

    private RunDirectory Phase(string name) => new(Path.Combine(_folder, name));

    /// <summary>Trains (or, when its final weights exist, reloads) one phase and returns its curve.</summary>
    private List<EpochMetrics> Train(ResNet net, string phase, TrainingConfig training, bool coarse,
        Func<ManifestRow, long> validationLabel,
        Func<ImageBatch, (Tensor, Tensor)>? loss = null)
    {
        var run = Phase(phase);
        var done = run.File("model.pt");
        if ((_resume || _trained.Contains(phase)) && File.Exists(done) && File.Exists(run.File(CurveFile.File)))
        {
            net.Load(done);
            return run.ReadJson<List<EpochMetrics>>(CurveFile.File);
        }
        var settings = training with { Seed = _seed };
        var task = new ClassificationTask(net, _data.Evaluation(_data.Val, validationLabel), loss);
        var trainer = new Trainer<ImageBatch>(task, _data.Training(settings, coarse), settings, run);
        if (Progress is { } report) trainer.Callbacks.Add(new ProgressReport(p => report(phase, p)));
        var curve = trainer.Fit(_resume).ToList();
        net.Save(done);
        _trained.Add(phase);
        return curve;
    }

    private ResNet NewNet(int classes)
    {
        TorchRuntime.ManualSeed((ulong)(_seed * 7 + classes));
        return new ResNet(_config.Network(classes));
    }

    internal MethodOutcome Plain()
    {
        var watch = Stopwatch.StartNew();
        using var net = NewNet(FineClasses);
        var curve = Train(net, "plain", _config.Fine, false, StageData.FineLabel);
        return Outcome(StageMethods.Plain, net, new() { ["plain"] = curve }, watch, new());
    }

    /// <summary>Step 1 (ranges) then the fine set with a new head; the net is left holding the data-level model.</summary>
    private (ResNet net, Dictionary<string, List<EpochMetrics>> curves) TrainDataLevel()
    {
        var net = NewNet(CoarseClasses);
        // step 1 is selected on range accuracy of the fine validation images
        var coarse = Train(net, "step1-ranges", _config.Coarse, true, r => new PreciseStage(r.Stage!.Value).Range - 1);
        TorchRuntime.ManualSeed((ulong)(_seed * 7 + 99));
        net.ReplaceHead(FineClasses);
        var fine = Train(net, "data-fine", _config.Fine, false, StageData.FineLabel);
        return (net, new() { ["step1-ranges"] = coarse, ["data-fine"] = fine });
    }

    internal MethodOutcome DataLevel()
    {
        var watch = Stopwatch.StartNew();
        var (net, curves) = TrainDataLevel();
        using (net) return Outcome(StageMethods.Data, net, curves, watch, new());
    }

    internal MethodOutcome DataFeature()
    {
        var watch = Stopwatch.StartNew();
        var (net, curves) = TrainDataLevel();
        using var _ = net;
        var trainTruth = _data.TrainTruth;
        var refs = ReferenceSetBuilder.Build(net, _data.Evaluation(_data.Train), trainTruth, FineClasses, _config, _seed);
        // only the images that serve as references are held in memory, each once
        var unique = refs.Sets.SelectMany(s => s).Distinct().Order().ToArray();
        var slot = unique.Select((train, k) => (train, k)).ToDictionary(p => p.train, p => (long)p.k);
        using var refImages = Inference.Images(_data.Evaluation(unique.Select(i => _data.Train[i]).ToList()));
        using var setIndex = Tensor.FromArray(refs.Sets.SelectMany(s => s.Select(i => slot[i])).ToArray(), refs.Sets.Length, FineClasses);
        (Tensor, Tensor) Loss(ImageBatch batch)
        {
            // one random reference set per batch, passed through the same F so gradients reach it too
            using var pick = Factory.RandInt(0, refs.Sets.Length, new long[] { 1 });
            var references = refImages.IndexSelect(0, setIndex.IndexSelect(0, pick).Flatten());
            var features = net.Features(Tensor.Cat(new[] { batch.Images, references }));
            long b = batch.Images.Size(0);
            var f = features.Narrow(0, 0, b);
            var logits = net.Head.Forward(f);
            var loss = F.CrossEntropy(logits, batch.Labels!)
                .Add(SimilarityLoss.Compute(f, features.Narrow(0, b, FineClasses), batch.Labels!));
            return (loss, logits);
        }
        curves["feature"] = Train(net, "feature", _config.Feature, false, StageData.FineLabel, Loss);

        // nearest-reference prediction: mean cosine similarity to each class's references over all k sets
        long[] similarity;
        net.Eval();
        using (Autograd.InferenceMode())
        using (TorchRuntime.NewDisposeScope())
        {
            var refFeatures = Inference.Map(_data.Evaluation(unique.Select(i => _data.Train[i]).ToList()), net.Features);
            var testFeatures = Inference.Map(_data.Evaluation(_data.Test), net.Features);
            // every set's references in set-major order, as the mean over sets expects
            var perSet = refFeatures.IndexSelect(0, setIndex.Flatten());
            similarity = SimilarityLoss.MeanSimilarity(testFeatures, perSet, FineClasses).ArgMax(1).ToLongArray();
        }
        var notes = new Dictionary<string, object>
        {
            ["reference_rule"] = _config.ReferenceRule == ReferenceRule.Margin
                ? $"correct and top-1 minus top-2 logit > {_config.Margin}" : $"correct and p > {_config.Tau}",
            ["reference_sets"] = refs.Sets.Length,
            ["candidates_per_stage"] = refs.CandidatesPerClass,
            ["stages_without_confident_candidates"] = refs.FallbackClasses.Select(c => PreciseStage.FromClass(c).Value).ToArray(),
        };
        return Outcome(StageMethods.DataFeature, net, curves, watch, notes) with { SimilarityPredicted = similarity };
    }

    private MethodOutcome Outcome(StageMethod method, ResNet net, Dictionary<string, List<EpochMetrics>> curves, Stopwatch watch,
        Dictionary<string, object> notes)
    {
        var (predicted, _) = Inference.Classify(net, _data.Evaluation(_data.Test));
        double val = Inference.Accuracy(net, _data.Evaluation(_data.Val));
        notes["model"] = StageModelInfo.Save(_folder, ModelName(method), method, _config, net);
        return new MethodOutcome(method.Name, _seed, predicted, null, val, curves, watch.Elapsed.TotalSeconds, notes);
    }

    internal MethodOutcome Gabor()
    {
        var watch = Stopwatch.StartNew();
        if (!_config.Gray) throw new ArgumentException("the Gabor baseline works on grey images (set gray: true)");
        using var bank = new LogGaborBank();
        using var scope = TorchRuntime.NewDisposeScope();
        using var noGrad = Autograd.NoGrad();
        var train = Inference.Map(_data.Evaluation(_data.Train), bank.Features);
        var val = Inference.Map(_data.Evaluation(_data.Val), bank.Features);
        var test = Inference.Map(_data.Evaluation(_data.Test), bank.Features);
        using var trainY = Tensor.FromArray(_data.TrainTruth, _data.Train.Count);
        // the regulariser is chosen on validation, as for every other method
        var valTruth = _data.ValTruth;
        (double lambda, double acc) best = (double.NaN, -1);
        var tried = new Dictionary<string, double>();
        foreach (var lambda in _config.GaborLambdas)
        {
            using var lr = new LogisticRegression(FineClasses, lambda);
            using (Autograd.EnableGrad()) lr.Fit(train, trainY);
            var p = lr.Predict(val);
            double acc = p.Where((v, i) => v == valTruth[i]).Count() / (double)p.Length;
            tried[lambda.ToString("G3", System.Globalization.CultureInfo.InvariantCulture)] = acc;
            if (acc > best.acc) best = (lambda, acc);
        }
        using var chosen = new LogisticRegression(FineClasses, best.lambda);
        using (Autograd.EnableGrad()) chosen.Fit(train, trainY);
        var predicted = chosen.Predict(test);
        var notes = new Dictionary<string, object>
        {
            ["lambda"] = best.lambda,
            ["validation_accuracy_by_lambda"] = tried,
            ["features"] = train.Size(1)
        };
        return new MethodOutcome(StageMethods.Gabor.Name, _seed, predicted, null, best.acc, new(), watch.Elapsed.TotalSeconds, notes);
    }
}
