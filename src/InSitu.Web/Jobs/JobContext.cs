using System.Diagnostics;
using InSitu.Common;
using InSitu.Training;

namespace InSitu.Web.Jobs;

/// <summary>What a running job sees: its parameters, cancellation, and the ways it reports back.</summary>
public sealed class JobContext
{
    private readonly Job _job;
    private readonly Action _changed;
    private readonly Stopwatch _sinceProgress = Stopwatch.StartNew();
    private readonly Stopwatch _sinceCurve = Stopwatch.StartNew();
    private readonly List<string> _curveFiles = new();
    private string? _curveFolder;
    private (string phase, int epoch) _epoch;

    internal JobContext(Job job, Action changed, CancellationToken cancel)
    {
        (_job, _changed, Cancel) = (job, changed, cancel);
    }

    public CancellationToken Cancel { get; }

    public string Id => _job.Id;

    /// <summary>Continue from checkpoints: the job was interrupted (a server restart, a cancel) and started again.</summary>
    public bool Resume => _job.Snapshot().Resume;

    public string Parameter(string name) => _job.Snapshot().Parameters.TryGetValue(name, out var v) && v.Length > 0
        ? v : throw new ArgumentException($"the job has no '{name}'");

    public string? Optional(string name) => _job.Snapshot().Parameters.TryGetValue(name, out var v) && v.Length > 0 ? v : null;

    /// <summary>Progress within a step (an epoch's batches, images scored); also where a cancel takes effect.</summary>
    public void Progress(string phase, int step, int steps, int epoch = 0, int epochs = 0, double loss = double.NaN,
        double accuracy = double.NaN)
    {
        Cancel.ThrowIfCancellationRequested();
        bool last = step >= steps;
        if (_sinceProgress.ElapsedMilliseconds >= 200 || last)
        {
            _sinceProgress.Restart();
            _job.Publish("progress", new
            {
                phase,
                step,
                steps,
                epoch,
                epochs,
                loss = double.IsFinite(loss) ? loss : (double?)null,
                accuracy = double.IsFinite(accuracy) ? accuracy : (double?)null,
            });
        }
        // a new epoch means the last one's curve.json has just been written
        bool newEpoch = (phase, epoch) != _epoch;
        _epoch = (phase, epoch);
        if (newEpoch || _sinceCurve.ElapsedMilliseconds >= 1000)
        {
            _sinceCurve.Restart();
            ReadCurves();
        }
    }

    /// <summary>Training progress of a workflow's trainer, phase by phase.</summary>
    public void Progress(string phase, BatchProgress p) =>
        Progress(phase, p.Batch, p.Batches, p.Epoch, p.Epochs, p.Loss, p.Accuracy);

    public void Log(string text) => _job.Publish("log", new { text });

    public void SetResult(string key, string value)
    {
        _job.Update(r => r.Result[key] = value);
        _changed();
    }

    /// <summary>The run folder whose curve.json files (its own and its sub-folders') make the job's live curve.</summary>
    public void WatchCurves(string folder)
    {
        _curveFolder = folder;
        ReadCurves();
    }

    /// <summary>Reads the watched curve files again; a new epoch is published and saved with the job.</summary>
    public void ReadCurves()
    {
        if (_curveFolder is null || !Directory.Exists(_curveFolder)) return;
        foreach (var f in Directory.EnumerateFiles(_curveFolder, CurveFile.File, new EnumerationOptions
        { RecurseSubdirectories = true, MaxRecursionDepth = 2 }).Order(StringComparer.Ordinal))
            if (!_curveFiles.Contains(f)) _curveFiles.Add(f); // phases in the order they started
        var points = new List<CurvePoint>();
        foreach (var f in _curveFiles)
        {
            List<EpochMetrics> epochs;
            try
            {
                epochs = JsonFile.Read<List<EpochMetrics>>(f);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or System.Text.Json.JsonException)
            {
                continue; // being replaced right now: read again next time
            }
            var phase = Path.GetRelativePath(_curveFolder, Path.GetDirectoryName(f)!);
            points.AddRange(epochs.Select(m => new CurvePoint(phase == "." ? "training" : phase, m.Epoch, m.TrainLoss, m.TrainAccuracy,
                m.Selection)));
        }
        bool grew = false;
        _job.Update(r =>
        {
            grew = points.Count != r.Curve.Count;
            if (grew) r.Curve = points;
        });
        if (!grew) return;
        _job.Publish("curve", new { points = points.Count });
        _changed();
    }
}
