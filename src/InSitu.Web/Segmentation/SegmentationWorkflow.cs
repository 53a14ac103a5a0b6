using System.Globalization;
using InSitu.Common;
using InSitu.Data;
using InSitu.Torch;
using InSitu.Web.Jobs;
using InSitu.Workflows.Segmentation;

namespace InSitu.Web.Segmentation;

/// <summary>
/// The annotator wired to the segmentation workflow (the services `insitu segment` calls): "segment-train" trains on the
/// project's label PNGs as a background job (<see cref="SegmentationTraining.Train"/>, its curve.json watched for the live
/// curve, Stop = cancellation, resumable from its checkpoints); Next patch is <see cref="PatchSuggester.Suggest"/> by
/// entropy; the overlays are <see cref="SegmentationPredictor.Stream"/>'s classes and normalised entropy. The newest model
/// of each project is kept in runs/.insitu-web/segmentation.json.
/// </summary>
public sealed class SegmentationWorkflow : ISegmentationService, IJobKind
{
    public const string KindName = "segment-train";
    /// <summary>Next patch scores at most this many images (the labelled ones first), one deterministic pass each.</summary>
    public const int MaxSuggestImages = 64;
    private readonly FileRoots _roots;
    private readonly object _lock = new(), _modelLock = new();
    private (string key, SegmentationModel model)? _loaded;

    public SegmentationWorkflow(FileRoots roots) => _roots = roots;

    /// <summary>For `insitu serve`: the options with this workflow behind the annotator.</summary>
    public static WebOptions Wire(WebOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options with { Segmentation = new SegmentationWorkflow(new FileRoots(options.Data, options.Runs)) };
    }

    public string Name => KindName;

    public IReadOnlyList<IJobKind> JobKinds => [this];

    private string LatestFile => Path.Combine(_roots.State, "segmentation.json");

    public (string kind, Dictionary<string, string> parameters) Train(SegmentationProject project, string runId, string? settings)
    {
        ArgumentNullException.ThrowIfNull(project);
        if (project.Classes.Count < 2)
            throw new ArgumentException($"'{project.Id}' has one class ({project.Classes[0]}); add a second class before training");
        var config = Config(project, settings); // bad settings are refused now, not in the job
        var parameters = new Dictionary<string, string> { ["project"] = project.Id, ["out"] = runId };
        if (settings is { Length: > 0 }) parameters["settings"] = settings;
        // retraining after new labels starts from the last model when it has the same network and classes
        if (LatestModel(project) is { } last && _roots.Resolve(last) is { } lastDir
            && File.Exists(Path.Combine(lastDir, SegmentationModel.InfoFile)))
        {
            var info = JsonFile.Read<SegmentationModelInfo>(Path.Combine(lastDir, SegmentationModel.InfoFile));
            if (info.Classes == config.Classes && info.Config.Network(info.Classes) with { Dropout = 0 }
                == config.Network(config.Classes) with { Dropout = 0 })
                parameters["init"] = last;
        }
        return (KindName, parameters);
    }

    /// <summary>The demo preset (quick on a few cores), the project's classes, then the page's JSON overrides.</summary>
    private static SegmentationConfig Config(SegmentationProject project, string? settings)
    {
        var config = SegmentationConfig.Demo;
        if (settings is { Length: > 0 }) config = ConfigOverlay.Apply(config, settings, "settings");
        config = config with { Classes = project.Classes.Count, ClassNames = [.. project.Classes] };
        config.Validate();
        return config;
    }

    public void Run(JobContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var project = OpenProject(context.Parameter("project"));
        var runId = context.Parameter("out");
        var outDir = _roots.Resolve(runId) ?? throw new WebErrors.NotFoundException($"'{runId}' is outside the runs folder");
        var config = Config(project, context.Optional("settings"));
        var pairs = AnnotatedPairs(project);
        if (pairs.Count == 0)
            throw new InvalidDataException($"no image of '{project.Id}' has an annotated pixel yet: paint some labels, save, then train");
        context.Log($"training on {pairs.Count} annotated image(s) of {project.Id} into {runId}" +
            (context.Optional("init") is { } init ? $", starting from {init}" : ""));
        context.WatchCurves(outDir);
        var result = SegmentationTraining.Train(new SegmentationTrainRequest
        {
            Pairs = pairs,
            OutDir = outDir,
            Config = config,
            Resume = context.Resume,
            InitialModel = context.Optional("init") is { } i ? _roots.Resolve(i) : null,
        }, p => context.Progress("training", p), context.Cancel);
        context.SetResult("model", runId);
        context.SetResult("best_epoch", result.BestEpoch.ToString(CultureInfo.InvariantCulture));
        context.SetResult("validation_mean_iou", result.BestValidationMeanIou.ToString("R", CultureInfo.InvariantCulture));
        lock (_lock)
        {
            var latest = ReadLatest();
            latest[project.Id] = runId;
            Directory.CreateDirectory(_roots.State);
            AtomicFile.WriteText(LatestFile, JsonSettings.Serialize(latest));
        }
    }

    /// <summary>Images whose label PNG holds an annotated pixel (a label image erased back to nothing is left out).</summary>
    private static List<PatchPair> AnnotatedPairs(SegmentationProject project)
    {
        var pairs = new List<PatchPair>();
        foreach (var image in project.Images())
        {
            var label = project.LabelFile(image);
            if (!File.Exists(label)) continue;
            using var scope = TorchRuntime.NewDisposeScope();
            var px = ImageIO.Read(label, ImageMode.Gray).Contiguous().ToArray<byte>();
            if (px.Any(v => v != SegmentationProject.Unlabelled)) pairs.Add(new PatchPair(Path.Combine(project.ImageFolder, image), label));
        }
        return pairs;
    }

    private SegmentationProject OpenProject(string id)
    {
        var dir = _roots.ResolveFolder(id) ?? throw new WebErrors.NotFoundException($"no image folder '{id}'");
        return SegmentationProject.Open(id, dir);
    }

    private Dictionary<string, string> ReadLatest()
    {
        if (!File.Exists(LatestFile)) return new(StringComparer.Ordinal);
        try
        {
            return JsonFile.Read<Dictionary<string, string>>(LatestFile);
        }
        catch (InvalidDataException)
        {
            return new(StringComparer.Ordinal);
        }
    }

    public string? LatestModel(SegmentationProject project)
    {
        ArgumentNullException.ThrowIfNull(project);
        lock (_lock)
            return ReadLatest().GetValueOrDefault(project.Id) is { } id && _roots.Resolve(id) is { } dir
                && File.Exists(Path.Combine(dir, SegmentationModel.InfoFile)) ? id : null;
    }

    public SuggestedPatch? Suggest(SegmentationProject project, string modelId)
    {
        ArgumentNullException.ThrowIfNull(project);
        var images = project.Images().Select(i => (image: Path.Combine(project.ImageFolder, i), label: project.LabelFile(i)))
            .OrderBy(p => File.Exists(p.label) ? 0 : 1).Take(MaxSuggestImages).ToList();
        return WithModel(modelId, model =>
        {
            // the model's training patch, or less where an image is smaller
            int cell = (int)Math.Round(model.Config.PatchSize / model.Config.Scale);
            foreach (var (image, _) in images)
            {
                using var scope = TorchRuntime.NewDisposeScope();
                var t = ImageIO.Read(image);
                cell = Math.Min(cell, (int)Math.Min(t.Shape[0], t.Shape[1]));
            }
            var result = PatchSuggester.Suggest(model, images.Select(p => (p.image, File.Exists(p.label) ? p.label : null)).ToList(),
                new SuggestOptions { Rule = UncertaintyRule.Entropy, McSamples = 0, PatchSize = cell, Count = 1 });
            var best = result.Best;
            return new SuggestedPatch(Path.GetFileName(best.Image), best.X, best.Y, best.Width, best.Height,
                Math.Round(best.Score(UncertaintyRule.Entropy), 5));
        });
    }

    public SegmentationPrediction Predict(SegmentationProject project, string image, string modelId)
    {
        ArgumentNullException.ThrowIfNull(project);
        var file = Path.Combine(project.ImageFolder, image);
        return WithModel(modelId, model =>
        {
            using var scope = TorchRuntime.NewDisposeScope();
            var hwc = SegmentationPredictor.ReadImage(model, file);
            int h = (int)hwc.Shape[0], w = (int)hwc.Shape[1], k = model.Classes;
            var classes = new byte[w * h];
            var uncertainty = new byte[w * h];
            // rows stream past: only one byte per pixel and map is kept, never the probability planes
            SegmentationPredictor.Stream(model, hwc, new PredictOptions(), (y, planes) =>
            {
                for (int x = 0; x < w; x++)
                {
                    classes[y * w + x] = (byte)SegmentationPredictor.ArgMax(planes, k, w, x);
                    uncertainty[y * w + x] = (byte)Math.Clamp(Math.Round(255 * planes[k * w + x]), 0, 255);
                }
            });
            return new SegmentationPrediction(w, h, classes, uncertainty);
        });
    }

    /// <summary>Runs <paramref name="work"/> with the model loaded once and kept (the newest model is asked for again and again).</summary>
    private T WithModel<T>(string modelId, Func<SegmentationModel, T> work)
    {
        var dir = _roots.Resolve(modelId) is { } d && File.Exists(Path.Combine(d, SegmentationModel.InfoFile))
            ? d : throw new WebErrors.NotFoundException($"no segmentation model '{modelId}'");
        var key = $"{dir}|{File.GetLastWriteTimeUtc(Path.Combine(dir, SegmentationModel.InfoFile)).Ticks}";
        lock (_modelLock)
        {
            if (_loaded is not { } l || l.key != key)
            {
                _loaded?.model.Dispose();
                _loaded = null;
                _loaded = (key, SegmentationModel.Load(dir));
            }
            return work(_loaded.Value.model);
        }
    }
}
