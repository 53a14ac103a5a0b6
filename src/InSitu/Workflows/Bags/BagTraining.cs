using System.Diagnostics;
using System.Globalization;
using InSitu.Data;
using InSitu.Reports;
using InSitu.Torch;
using InSitu.Torch.NN;
using InSitu.Training;

namespace InSitu.Workflows.Bags;

/// <summary>Training progress of one phase ("warmup", "cnn", "bilstm") of a bag run.</summary>
public delegate void BagProgress(string phase, BatchProgress progress);

/// <summary>What one bag run produced: test evaluations of the bag model (null without BiLSTM) and of the CNN-only rule.</summary>
public sealed record BagRunOutcome(BagEvaluation? BagModel, BagEvaluation CnnMean, Dictionary<string, List<EpochMetrics>> Curves,
    double Seconds, string ModelFile)
{
    /// <summary>The run's own predictor: the bag model when it has one, else the CNN's mean.</summary>
    public BagEvaluation Final => BagModel ?? CnnMean;
}

/// <summary>
/// One seed of the bag method (METHODS.md section 5) on the shared <see cref="Trainer{TBatch}"/>, phase by phase, each with
/// its own checkpoints under the run folder (an interrupted run resumes where it stopped, a finished phase is reused):
/// <list type="number">
/// <item>warm-up: two views of a bag, MSE between their features (<see cref="WarmupTask"/>);</item>
/// <item>CNN: every image with its bag's labels, <see cref="BagLoss"/> with gamma annealing, tempering and masks;</item>
/// <item>features: the best CNN's pooled features and probabilities of every image, unaugmented;</item>
/// <item>BiLSTM: the bag model on the training bags' features (<see cref="BagModelTask"/>);</item>
/// <item>thresholds per attribute on the validation bags, test figures, and model.json.</item>
/// </list>
/// The CNN-only rule (a bag's probabilities are its images' mean) is evaluated from the same CNN in every run.
/// </summary>
public sealed class BagTraining
{
    public const string BiLstm = "bilstm", CnnMean = "cnn_mean";

    private readonly BagConfig _config;
    private readonly BagData _data;
    private readonly string _folder;
    private readonly bool _resume;
    private readonly DecodedImageCache _cache;
    private readonly Dictionary<string, float[]> _truth;

    public BagTraining(BagConfig config, BagData data, string folder, bool resume, DecodedImageCache cache)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(data);
        config.Validate();
        (_config, _data, _folder, _resume, _cache) = (config, data, folder, resume, cache);
        _truth = data.Set.Bags.GroupBy(b => b.Source)
            .ToDictionary(g => g.Key, g => data.Attributes.Target(g.First()), StringComparer.Ordinal);
        Directory.CreateDirectory(folder);
    }

    public BagProgress? Progress { get; set; }

    /// <summary>
    /// Where the warm-up's weights live (default: the run's own warmup/ folder). Runs that share one (the variants of an
    /// ablation with the same warm-up settings) name the same folder, and mark it done through <see cref="FinishedPhases"/>.
    /// </summary>
    public string? WarmupFolder { get; init; }

    /// <summary>Phase folders finished earlier in this process: reused even without resume.</summary>
    public HashSet<string>? FinishedPhases { get; init; }

    private int Seed => _data.Seed;
    private int T => _data.Attributes.Count;

    public BagRunOutcome Run()
    {
        var watch = Stopwatch.StartNew();
        var run = new RunDirectory(_folder);
        WriteBagList(run);
        var curves = new Dictionary<string, List<EpochMetrics>>();
        TorchRuntime.ManualSeed((ulong)(Seed * 7 + 1));
        using var cnn = new ImageAttributeNetwork(_config, T);
        if (_config.Components.Warmup) curves["warmup"] = Warmup(cnn);
        curves["cnn"] = TrainCnn(cnn);
        AtomicFile.Write(run.File("cnn.pt"), cnn.Save);

        var images = BagInference.Images(cnn, _data.Bags(Enumerable.Range(0, _data.Set.Bags.Count).ToList(), _config, _cache));
        var cnnMean = Evaluate(CnnMean, b => BagInference.MeanOfImages(images[b.Id], T));
        BagEvaluation? bagModel = null;
        if (_config.Components.Lstm)
        {
            TorchRuntime.ManualSeed((ulong)(Seed * 7 + 2));
            using var lstm = new BagSequenceModel(cnn.FeatureWidth, _config.LstmHidden, _config.LstmLayers, T, _config.Dropout);
            curves[BiLstm] = TrainBagModel(lstm, cnn, images);
            AtomicFile.Write(run.File("lstm.pt"), lstm.Save);
            var probabilities = BagInference.Sequences(lstm, Features(images, Enumerable.Range(0, _data.Set.Bags.Count)));
            bagModel = Evaluate(BiLstm, b => probabilities[b.Id]);
        }
        var final = bagModel ?? cnnMean;
        var info = new BagModelInfo(_config, _data.Attributes.Terms, _data.Attributes.PossibleByRange, final.Thresholds,
            cnnMean.Thresholds, "cnn.pt", bagModel is null ? null : "lstm.pt", Seed);
        info.Save(_folder);
        var outcome = new BagRunOutcome(bagModel, cnnMean, curves, watch.Elapsed.TotalSeconds, run.File(BagModelInfo.File));
        run.WriteJson("evaluation.json", new
        {
            attributes = _data.Attributes.Terms,
            bag_model = bagModel,
            cnn_mean = cnnMean,
            outcome.Seconds,
            curves,
        });
        return outcome;
    }

    /// <summary>bags.csv: every bag (part) with its source, split, range, image count and terms.</summary>
    private void WriteBagList(RunDirectory run)
    {
        var lines = new List<string> { "bag,source,split,range,images,terms" };
        for (int i = 0; i < _data.Set.Bags.Count; i++)
        {
            var b = _data.Set.Bags[i];
            lines.Add(Csv.Line(new[]
            {
                b.Id, b.Source, _data.SplitOf(i), b.Range?.ToString(CultureInfo.InvariantCulture) ?? "",
                b.Rows.Length.ToString(CultureInfo.InvariantCulture), string.Join(";", b.Terms),
            }));
        }
        run.WriteText("bags.csv", string.Join("\n", lines) + "\n");
    }

    private BagEvaluation Evaluate(string model, Func<BagRecord, double[]> probabilities)
    {
        List<BagPrediction> Of(IReadOnlyList<int> bags) =>
            BagScoring.BySource(bags.Select(i => (_data.Bag(i), probabilities(_data.Bag(i)))), _data.Attributes,
                _config.Components.StageMasks);
        return BagEvaluation.Of(model, Of(_data.Val), Of(_data.Test), TruthOfSource);
    }

    private float[] TruthOfSource(string source) => _truth[source];

    private IReadOnlyDictionary<string, double> RateValidation(Func<BagRecord, double[]> probabilities) =>
        BagValidation.Rate(BagScoring.BySource(_data.Val.Select(i => (_data.Bag(i), probabilities(_data.Bag(i)))), _data.Attributes,
            _config.Components.StageMasks), TruthOfSource);

    /// <summary>Trains one phase with the shared trainer, or reloads it when it finished before; returns its curve.</summary>
    private List<EpochMetrics> Phase<TBatch>(Module model, string folder, string name, Func<ITrainingTask<TBatch>> task,
        Func<IBatchSource<TBatch>> source, TrainingConfig settings) where TBatch : IDisposable
    {
        var run = new RunDirectory(folder);
        var done = run.File("model.pt");
        bool finished = File.Exists(done) && File.Exists(run.File(CurveFile.File));
        if (finished && (_resume || FinishedPhases?.Contains(run.Path) == true))
        {
            model.Load(done);
            return run.ReadJson<List<EpochMetrics>>(CurveFile.File);
        }
        var trainer = new Trainer<TBatch>(task(), source(), settings, run);
        if (Progress is { } report) trainer.Callbacks.Add(new ProgressReport(p => report(name, p)));
        var curve = trainer.Fit(_resume).ToList();
        AtomicFile.Write(done, model.Save);
        FinishedPhases?.Add(run.Path);
        return curve;
    }

    private List<EpochMetrics> Warmup(ImageAttributeNetwork cnn)
    {
        var settings = _config.Phase(_config.Warmup, Seed);
        return Phase<BagBatch>(cnn, WarmupFolder ?? Path.Combine(_folder, "warmup"), "warmup",
            () => new WarmupTask(cnn, _data.HasPairs(_data.Val)
                ? _data.WarmupPairs(_data.Val, _config, settings.BatchSize, _cache, augment: false) : null),
            () => _data.WarmupPairs(_data.Train, _config, settings.BatchSize, _cache, _config.Components.Augmentation), settings);
    }

    private List<EpochMetrics> TrainCnn(ImageAttributeNetwork cnn)
    {
        var settings = _config.Phase(_config.Cnn, Seed);
        var source = new EpochClock<ImageBatch>(_data.TrainingImages(_config, settings.BatchSize, _cache));
        var imageTargets = _data.Train.SelectMany(b => Enumerable.Repeat(_data.Target(_data.Bag(b).Id), _data.Bag(b).Rows.Length)).ToList();
        var loss = new BagLoss(_config, AttributeBalance.NegativeOverPositive(imageTargets), _config.Gamma(_config.Cnn), _config.Tempering);
        var validation = _data.Bags(_data.Val, _config, _cache);
        IReadOnlyDictionary<string, double> Validate()
        {
            var outputs = BagInference.Images(cnn, validation);
            return RateValidation(b => BagInference.MeanOfImages(outputs[b.Id], T));
        }
        return Phase<ImageBatch>(cnn, Path.Combine(_folder, "cnn"), "cnn",
            () => new CnnTask(cnn, loss, source, _data.Set.Manifest, r => _data.Attributes.Mask(r, _config.Components.StageMasks),
                Validate),
            () => source, settings);
    }

    private List<(string Id, float[] Features)> Features(Dictionary<string, ImageOutputs> images, IEnumerable<int> bags) =>
        bags.Select(i => (_data.Bag(i).Id, images[_data.Bag(i).Id].Features)).ToList();

    private List<EpochMetrics> TrainBagModel(BagSequenceModel lstm, ImageAttributeNetwork cnn, Dictionary<string, ImageOutputs> images)
    {
        var settings = _config.Phase(_config.Lstm, Seed);
        var views = Enumerable.Range(0, _config.LstmFeatureViews)
            .Select(v => BagInference.Images(cnn, _data.Bags(_data.Train, _config, _cache, view: v))).ToList();
        IReadOnlyList<float[]> ViewsOf(string id) =>
            views.Count == 0 ? new[] { images[id].Features } : views.Select(v => v[id].Features).ToList();
        bool masks = _config.Components.StageMasks;
        var training = _data.Train.Select(i => _data.Bag(i))
            .Select(b => new FeatureBag(b.Id, ViewsOf(b.Id), _data.Target(b.Id), _data.Attributes.Mask(b.Range, masks)))
            .ToList();
        var source = new EpochClock<FeatureBagBatch>(
            new FeatureBagSource(training, cnn.FeatureWidth, settings.BatchSize, Seed, shuffle: true));
        var loss = new BagLoss(_config, AttributeBalance.NegativeOverPositive(training.Select(b => b.Target).ToList()),
            _config.Gamma(_config.Lstm), tempering: null);
        var validation = Features(images, _data.Val);
        IReadOnlyDictionary<string, double> Validate()
        {
            var p = BagInference.Sequences(lstm, validation);
            return RateValidation(b => p[b.Id]);
        }
        return Phase<FeatureBagBatch>(lstm, Path.Combine(_folder, BiLstm), BiLstm, () => new BagModelTask(lstm, loss, source, Validate),
            () => source, settings);
    }
}
