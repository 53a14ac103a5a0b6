using System.Diagnostics;
using System.Globalization;
using InSitu.Data;
using InSitu.Reports;
using InSitu.Torch;

namespace InSitu.Workflows.Terms;

/// <summary>
/// Runs CV-term methods for one seed: images become vectors (tap points of the pretrained, random or fine-tuned
/// network, or the local-feature baselines), streamed into feature files; then, per task, the per-term classifiers are
/// trained on the training images and scored on the test images. The main feature set (the config's taps) leaves a
/// model folder (model.json, classifiers, saved network or vocabulary) that `terms evaluate` and `terms predict` read;
/// with the layer comparison, each of the config's layers is evaluated alone as well. Feature files of the pretrained
/// network depend on no seed and are shared by all seeds through <c>sharedFolder</c>; everything is reused on resume.
/// </summary>
public sealed class TermMethodRunner
{
    private readonly TermsConfig _config;
    private readonly TermTaskSet _set;
    private readonly int _seed;
    private readonly string _folder, _shared;
    private readonly bool _resume;
    private readonly DecodedImageCache _cache;
    private readonly string _rowsKey;
    private readonly Dictionary<int, int> _fileRow;

    public TermMethodRunner(TermsConfig config, TermTaskSet set, int seed, string folder, string sharedFolder, bool resume,
        DecodedImageCache? cache = null)
    {
        (_config, _set, _seed, _folder, _shared, _resume) = (config, set, seed, folder, sharedFolder, resume);
        _cache = cache ?? new DecodedImageCache();
        _rowsKey = TermFeatureExtraction.RowsKey(set.Manifest, set.Rows);
        _fileRow = set.Rows.Select((row, i) => (row, i)).ToDictionary(p => p.row, p => p.i);
    }

    public TermsProgress? Progress { get; set; }
    public Action<string>? Log { get; set; }

    /// <summary>The model folder of a method's main feature set (default: a folder named after the method in the seed's folder).</summary>
    public Func<TermMethod, string>? ModelFolderOf { get; init; }

    public string ModelFolder(TermMethod method) => ModelFolderOf?.Invoke(method) ?? Path.Combine(_folder, method.Slug);

    /// <summary>
    /// Runs <paramref name="method"/>: the outcome of its main feature set first, then one per layer of the comparison
    /// when <paramref name="layers"/> is set and the method takes network features.
    /// </summary>
    public List<TermOutcome> Run(TermMethod method, bool layers)
    {
        var watch = Stopwatch.StartNew();
        var sets = new Dictionary<string, string[]> { ["main"] = _config.Taps };
        // a layer that is the main feature set itself is not extracted or classified twice
        bool Same(string layer) => _config.Taps.Length == 1 && _config.Taps[0] == layer;
        if (layers && method.UsesNetwork)
            foreach (var layer in _config.Layers.Where(l => !Same(l))) sets.TryAdd(layer, [layer]);
        if (!method.UsesNetwork) sets = new() { ["main"] = [] };
        var modelFolder = ModelFolder(method);
        Directory.CreateDirectory(modelFolder);
        var notes = new Dictionary<string, object>();
        var files = Features(method, sets, modelFolder, notes);
        var outcomes = new List<TermOutcome>();
        foreach (var (set, file) in files.OrderBy(f => f.Key == "main" ? 0 : 1))
        {
            bool main = set == "main";
            var (metrics, scores, modelTasks) = Classify(method, set, file, main ? modelFolder : null);
            if (main)
            {
                new TermsModelInfo(method.Name, _config, _seed, _config.Taps,
                    method.Kind == TermFeatureKind.Pretrained ? TermsModelInfo.ResolveWeights(_config) : null,
                    method.UsesNetwork && method.Kind != TermFeatureKind.Pretrained ? "." : null,
                    method.UsesNetwork ? null : TermsModelInfo.VocabularyFile, modelTasks).Save(modelFolder);
            }
            notes["feature_length"] = file.Columns;
            outcomes.Add(new TermOutcome(method.Name, _seed, main ? MainFeatureSet(method, _config) : set, metrics, main ? scores : [],
                new Dictionary<string, object>(notes), watch.Elapsed.TotalSeconds));
        }
        if (layers && method.UsesNetwork)
            foreach (var layer in _config.Layers.Where(Same))
                outcomes.Insert(1, outcomes[0] with { FeatureSet = layer, Scores = [] });
        // layer outcomes in the config's order, after the main one
        return outcomes.Take(1).Concat(outcomes.Skip(1).OrderBy(o => Array.IndexOf(_config.Layers, o.FeatureSet))).ToList();
    }

    /// <summary>The feature files of the method's sets: reused where they hold these images, else extracted.</summary>
    private Dictionary<string, FeatureFile> Features(TermMethod method, Dictionary<string, string[]> sets, string modelFolder,
        Dictionary<string, object> notes)
    {
        string FileOf(string set) => method.Kind == TermFeatureKind.Pretrained
            ? Path.Combine(_shared, "features", $"tl.{Safe(set == "main" ? string.Join("+", _config.Taps) : set)}.bin")
            : Path.Combine(modelFolder, "features", $"{Safe(set)}.bin");
        bool stateSaved = method.Kind switch
        {
            TermFeatureKind.Pretrained => true,
            TermFeatureKind.SparseCoding or TermFeatureKind.BagOfWords => File.Exists(Path.Combine(modelFolder,
                TermsModelInfo.VocabularyFile)),
            _ => File.Exists(Path.Combine(modelFolder, TermsNetworkInfo.File)),
        };
        var found = sets.Keys.ToDictionary(s => s, s => _resume || method.Kind == TermFeatureKind.Pretrained
            ? TermFeatureExtraction.Reusable(FileOf(s), _rowsKey) : null);
        if (stateSaved && found.Values.All(f => f is not null))
        {
            Log?.Invoke($"seed {_seed} {method}: reusing its feature files");
            return found.ToDictionary(f => f.Key, f => f.Value!);
        }
        using var featurizer = Featurizer(method, sets, modelFolder, notes);
        var description = new
        {
            method = method.Name,
            network = method.UsesNetwork ? _config.Network : null,
            seed = _seed,
            pool_grid = _config.PoolGrid,
            sets
        };
        return TermFeatureExtraction.Run(_set.Manifest, _set.Rows, featurizer, FileOf, description, _cache, Progress,
            $"features {method}");
    }

    /// <summary>What the main feature set of a method is, for tables: its taps, or its local-feature coding.</summary>
    public static string MainFeatureSet(TermMethod method, TermsConfig config) => method.UsesNetwork
        ? string.Join("+", config.Taps)
        : $"{config.Coding.Words} {(method.Kind == TermFeatureKind.SparseCoding ? "atoms" : "words")}, pyramid " +
          string.Join("+", config.Coding.PyramidLevels.Select(l => $"{l}x{l}"));

    private static string Safe(string name) => string.Concat(name.Select(c => char.IsLetterOrDigit(c) || c is '_' or '-' or '+' ? c : '_'));

    private ITermFeaturizer Featurizer(TermMethod method, Dictionary<string, string[]> sets, string modelFolder,
        Dictionary<string, object> notes)
    {
        switch (method.Kind)
        {
            case TermFeatureKind.Pretrained:
                {
                    var net = TermNetworks.Pretrained(_config);
                    return new NetworkFeaturizer(net, net, _config.Loader(), sets, _config.PoolGrid);
                }
            case TermFeatureKind.Random:
                {
                    var images = new ImageBatchLoader(_set.Manifest, _config.Loader() with { Shuffle = true, Seed = _seed },
                        rows: _set.TrainRows, cache: _cache);
                    var net = TermNetworks.Random(_config, _seed, images);
                    var arch = _config.Architecture;
                    AtomicFile.Write(Path.Combine(modelFolder, TermFinetuning.Weights), net.Save);
                    new TermsNetworkInfo(TermsNetworkKind.Random, _config, _seed, arch.DefaultClasses, _config.ResolvedHeadTap, [],
                        TermFinetuning.Weights).Save(modelFolder);
                    notes["batch_norm_statistics"] = $"estimated from {_config.RecalibrationBatches} batches of training images";
                    return new NetworkFeaturizer(net, net, _config.Loader(), sets, _config.PoolGrid);
                }
            case TermFeatureKind.Finetuned:
                {
                    var (net, curve) = TermFinetuning.Run(_config, _set, _seed, modelFolder, _resume, _cache, Progress);
                    notes["finetune_curve"] = curve.Select(e => new { e.Epoch, e.TrainLoss, e.Validation }).ToList();
                    notes["finetune_terms"] = _set.AllTerms.Count;
                    return new NetworkFeaturizer(net.Trunk, net, _config.Loader(), sets, _config.PoolGrid);
                }
            default:
                {
                    bool sparse = method.Kind == TermFeatureKind.SparseCoding;
                    var loader = new ImageBatchLoader(_set.Manifest, _config.CodingLoader(), rows: _set.TrainRows, cache: _cache);
                    Progress?.Invoke($"vocabulary {method}", 0, 1, "");
                    var vocabulary = CodingFeaturizer.LearnVocabulary(_config.Coding, loader, _set.TrainRows.Count, sparse, _seed);
                    AtomicFile.Write(Path.Combine(modelFolder, TermsModelInfo.VocabularyFile),
                        tmp => Serialization.Save([("vocabulary", vocabulary)], tmp));
                    Progress?.Invoke($"vocabulary {method}", 1, 1, "");
                    notes["vocabulary"] = $"{vocabulary.Size(0)} {(sparse ? "atoms" : "words")}";
                    return new CodingFeaturizer(_config.Coding, _config.CodingLoader(), vocabulary.DetachFromScope(), sparse, "main");
                }
        }
    }

    /// <summary>Per task: classifiers trained on its training rows, scored on its test rows, saved when a model folder is given.</summary>
    private (List<TermMetrics>, List<TaskScores>, List<TermsModelTask>) Classify(TermMethod method, string set, FeatureFile file,
        string? modelFolder)
    {
        var metrics = new List<TermMetrics>();
        var scores = new List<TaskScores>();
        var tasks = new List<TermsModelTask>();
        int done = 0;
        foreach (var task in _set.Tasks)
        {
            Progress?.Invoke($"classifiers {method} {set}", done, _set.Tasks.Count, task.Name);
            var labels = task.Terms.Select(t => task.Train.Select(r => _set.Has(r, t)).ToArray()).ToList();
            var groups = task.Train.Select(_set.Group).ToList();
            var fit = TermClassifier.Train(file, task.Train.Select(r => _fileRow[r]).ToList(), task.Test.Select(r => _fileRow[r]).ToList(),
                task.Terms, labels, groups, _config.Classifier, _seed * 1009 + done, _config.FeatureBlockBytes);
            using (fit.Classifier)
            {
                var truth = task.Test.Select(r => task.Terms.Select(t => _set.Has(r, t)).ToArray()).ToArray();
                for (int k = 0; k < task.Terms.Count; k++)
                    metrics.Add(TermMetrics.Of(task.Name, task.Terms[k], fit.Scores.Select(s => s[k]).ToList(), truth.Select(t =>
                        t[k]).ToList()));
                scores.Add(new TaskScores(task.Name, task.Terms, fit.Scores, truth));
                if (modelFolder is not null)
                {
                    var name = $"classifier-{task.Slug}.pt";
                    fit.Classifier.Save(Path.Combine(modelFolder, name));
                    tasks.Add(new TermsModelTask(task.Name, task.Range, task.Terms.ToArray(), fit.Classifier.Members,
                        fit.Lambdas.ToArray(), name));
                }
            }
            Log?.Invoke($"seed {_seed} {method} {(set == "main" ? "" : set + " ")}{task.Name}: mean AUC " +
                $"{Evaluation.MeanStd.Of(metrics.Where(m => m.Task == task.Name).Select(m => m.Auc)).Mean:F3}" +
                $" (lambda {string.Join("/", fit.Lambdas.Distinct().Select(l => l.ToString("G2", CultureInfo.InvariantCulture)))})");
            done++;
        }
        Progress?.Invoke($"classifiers {method} {set}", done, _set.Tasks.Count, "");
        return (metrics, scores, tasks);
    }

    /// <summary>The run folder of one seed (seed-N), created.</summary>
    public static string SeedFolder(string outDir, int seed) => new RunDirectory(outDir).Subfolder($"seed-{seed}");
}
