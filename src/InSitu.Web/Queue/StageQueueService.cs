using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using InSitu.Common;
using InSitu.Data;
using InSitu.Torch;
using InSitu.Web.Jobs;
using InSitu.Workflows.Stages;

namespace InSitu.Web.Queue;

/// <summary>A queued image as ranked: its path in the manifest, the model's uncertainty and suggestion, its probabilities.</summary>
public sealed record RankedImage(string Path, double Uncertainty, int Suggested, float[] Probabilities);

/// <summary>One retraining from the queue: the model it made, how many precise labels it saw, its test figure.</summary>
public sealed record Retraining(string Model, DateTime Time, int Labelled, double MeanPerStageAccuracy, string Job);

/// <summary>A manifest's label queue as kept between sessions: the model, its ranking, and the retrainings so far.</summary>
public sealed class QueueState
{
    public string Manifest { get; set; } = "";
    public string? Model { get; set; }
    public DateTime? Ranked { get; set; }
    public List<RankedImage> Images { get; set; } = new();
    public List<Retraining> Retrainings { get; set; } = new();
}

/// <summary>
/// The stage label queue (active learning for the stage workflow): a model scores the images that lack a precise
/// stage (<see cref="StageScorer"/>), <see cref="StageUncertainty"/> ranks them, and a person labels the most
/// uncertain first; labels go to the manifest through <see cref="LabelHistory"/>. State lives in
/// runs/.insitu-web/queues/, so a session resumes where the last one stopped.
/// </summary>
public sealed class StageQueueService : IDisposable
{
    private const int Nearest = 6;
    private readonly FileRoots _roots;
    private readonly object _lock = new();
    private readonly ConcurrentDictionary<string, Dictionary<int, float[]>> _labelledFeatures = new(StringComparer.Ordinal);
    private (string key, StageScorer scorer)? _scorer;

    public StageQueueService(FileRoots roots) => _roots = roots;

    private string StateFile(string manifestId) =>
        Path.Combine(_roots.State, "queues",
            Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(manifestId)))[..16].ToLowerInvariant() + ".json");

    public QueueState Load(string manifestId)
    {
        var file = StateFile(manifestId);
        if (!File.Exists(file)) return new QueueState { Manifest = manifestId };
        try
        {
            return JsonFile.Read<QueueState>(file);
        }
        catch (InvalidDataException)
        {
            return new QueueState { Manifest = manifestId }; // an unreadable state is rebuilt by ranking again
        }
    }

    private void Save(QueueState state)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(StateFile(state.Manifest))!);
        AtomicFile.WriteText(StateFile(state.Manifest), JsonSettings.Serialize(state));
    }

    public string ManifestFile(string manifestId) =>
        _roots.ResolveFile(manifestId) ?? throw new WebErrors.NotFoundException($"no manifest '{manifestId}'");

    public string ModelFile(string modelId) =>
        _roots.Resolve(modelId) is { } p && (File.Exists(p) || File.Exists(Path.Combine(p, "model.json")))
            ? p : throw new WebErrors.NotFoundException($"no stage model '{modelId}'");

    /// <summary>Scores every image without a precise stage with the model and saves the ranking.</summary>
    public QueueState Rank(string manifestId, string modelId, JobContext? job = null)
    {
        var manifest = Manifest.Load(ManifestFile(manifestId));
        var rows = Enumerable.Range(0, manifest.Rows.Count).Where(i => StageUncertainty.NeedsStage(manifest.Rows[i])).ToList();
        var (scores, failures) = WithScorer(modelId, s => s.Score(manifest, rows,
            job is null ? null : (done, total) => job.Progress("scoring images", done, total), job?.Cancel ?? default));
        foreach (var (row, reason) in failures.Take(20)) job?.Log($"skipped {manifest.Rows[row].Path}: {reason}");
        var ranked = StageUncertainty.Rank(manifest, scores);
        lock (_lock)
        {
            var state = Load(manifestId);
            state.Model = modelId;
            state.Ranked = DateTime.UtcNow;
            state.Images = ranked.Select(e => new RankedImage(manifest.Rows[e.Row].Path, Math.Round(e.Uncertainty, 5), e.Suggested.Value,
                scores[e.Row].Probabilities.Select(p => MathF.Round(p, 5)).ToArray())).ToList();
            Save(state);
            job?.SetResult("ranked", ranked.Count.ToString(CultureInfo.InvariantCulture));
            return state;
        }
    }

    public void RecordRetraining(string manifestId, Retraining retraining)
    {
        lock (_lock)
        {
            var state = Load(manifestId);
            state.Retrainings.Add(retraining);
            Save(state);
        }
    }

    /// <summary>
    /// The next image to label: the most uncertain ranked image that still lacks a precise stage and is not in
    /// <paramref name="skip"/>, with its candidates, its nearest labelled images and the queue's counts.
    /// </summary>
    public object View(string manifestId, IReadOnlySet<string> skip)
    {
        var file = ManifestFile(manifestId);
        var manifest = Manifest.Load(file);
        var state = Load(manifestId);
        var byPath = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < manifest.Rows.Count; i++) byPath.TryAdd(manifest.Rows[i].Path, i);
        var waiting = state.Images.Where(im => byPath.TryGetValue(im.Path, out var r) && StageUncertainty.NeedsStage(manifest.Rows[r]))
            .ToList();
        var next = waiting.FirstOrDefault(im => !skip.Contains(im.Path));
        int labelled = manifest.Rows.Count(r => PreciseStage.IsPrecise(r.Stage));
        object? item = null;
        if (next is not null)
        {
            int row = byPath[next.Path];
            var r = manifest.Rows[row];
            var candidates = StageUncertainty.Candidates(r.Range);
            double total = candidates.Sum(c => (double)next.Probabilities[c.Class]);
            item = new
            {
                row,
                path = r.Path,
                gene = r.Gene,
                range = r.Range,
                rangeName = r.Range is { } rg ? StageRanges.Names[rg - 1] : null,
                view = r.View,
                terms = r.Terms,
                split = r.Split,
                uncertainty = next.Uncertainty,
                suggested = next.Suggested,
                candidates = candidates.Select((c, k) => new
                {
                    stage = c.Value,
                    key = k < 9 ? (k + 1).ToString(CultureInfo.InvariantCulture) : ((char)('a' + k - 9)).ToString(),
                    p = total > 0 ? next.Probabilities[c.Class] / total : 0,
                }),
                nearest = state.Model is null ? [] : NearestLabelled(manifest, state.Model, row),
            };
        }
        var history = LabelHistory.Read(file);
        return new
        {
            manifest = manifestId,
            model = state.Model,
            ranked = state.Ranked,
            waiting = waiting.Count,
            labelled,
            unranked = manifest.Rows.Count(StageUncertainty.NeedsStage) - waiting.Count,
            item,
            history = history.TakeLast(10).Reverse(),
            canUndo = EditHistoryFile.LatestUndoable(history) is not null,
            retrainings = state.Retrainings,
        };
    }

    /// <summary>The labelled images most similar to a row in the model's feature space F(x).</summary>
    private List<object> NearestLabelled(Manifest manifest, string modelId, int row)
    {
        string key;
        try
        {
            var modelFile = ModelFile(modelId);
            key = $"{modelFile}|{File.GetLastWriteTimeUtc(modelFile).Ticks}|{manifest.SourceFile}|{manifest.Rows.Count}";
        }
        catch (WebErrors.NotFoundException)
        {
            return []; // the model was deleted: no neighbours until the queue is ranked again
        }
        var labelledRows = Enumerable.Range(0, manifest.Rows.Count).Where(i => PreciseStage.IsPrecise(manifest.Rows[i].Stage)).ToList();
        var labelled = _labelledFeatures.GetOrAdd(key, _ => WithScorer(modelId, s => s.Score(manifest, labelledRows).scores)
            .ToDictionary(p => p.Key, p => p.Value.Features));
        // rows labelled since the features were computed are scored one by one as they appear
        var missing = labelledRows.Where(r => !labelled.ContainsKey(r)).ToList();
        if (missing.Count > 0)
            foreach (var (r, s) in WithScorer(modelId, sc => sc.Score(manifest, missing).scores))
                lock (labelled) labelled[r] = s.Features;
        var (own, _) = WithScorer(modelId, s => s.Score(manifest, [row]));
        if (!own.TryGetValue(row, out var score)) return [];
        Dictionary<int, float[]> current;
        lock (labelled) current = labelled.Where(l => labelledRows.Contains(l.Key)).ToDictionary(l => l.Key, l => l.Value);
        return StageUncertainty.Nearest(score.Features, current, Nearest)
            .Select(n => (object)new { row = n.row, path = manifest.Rows[n.row].Path, stage = manifest.Rows[n.row].Stage, n.similarity })
            .ToList();
    }

    /// <summary>One image's stage probabilities and features under a model (null when its image cannot be read).</summary>
    public StageScore? Score(Manifest manifest, int row, string modelId) =>
        WithScorer(modelId, s => s.Score(manifest, [row]).scores.GetValueOrDefault(row));

    /// <summary>Runs <paramref name="work"/> with the model loaded once and kept (one model at a time, one user at a time).</summary>
    private T WithScorer<T>(string modelId, Func<StageScorer, T> work)
    {
        var file = ModelFile(modelId);
        var key = $"{file}|{File.GetLastWriteTimeUtc(File.Exists(file) ? file : Path.Combine(file, "model.json")).Ticks}";
        lock (_lock)
        {
            if (_scorer is not { } s || s.key != key)
            {
                _scorer?.scorer.Dispose();
                _scorer = null;
                _scorer = (key, new StageScorer(file));
            }
            return work(_scorer.Value.scorer);
        }
    }

    public void Dispose()
    {
        _scorer?.scorer.Dispose();
        _scorer = null;
    }
}
