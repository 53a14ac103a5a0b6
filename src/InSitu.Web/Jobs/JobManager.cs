using InSitu.Common;
using InSitu.Torch;
using Microsoft.Extensions.Logging;

namespace InSitu.Web.Jobs;

/// <summary>
/// Runs background jobs, one at a time per data folder (a lane), the others waiting in order. Every change of a
/// job is saved (runs/.insitu-web/jobs/ID.json, written atomically), so a restarted server finds the jobs it left
/// queued or running and continues them from their checkpoints. A cancelled or failed job can be resumed.
/// </summary>
public sealed class JobManager : IDisposable
{
    private readonly object _lock = new();
    private readonly Dictionary<string, Job> _jobs = new(StringComparer.Ordinal);
    private readonly HashSet<string> _busyLanes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IJobKind> _kinds;
    private readonly string _folder;
    private readonly ILogger<JobManager> _log;
    private readonly List<Thread> _threads = new();
    private bool _disposed;

    public JobManager(FileRoots roots, IEnumerable<IJobKind> kinds, ILogger<JobManager> log)
    {
        _folder = Path.Combine(roots.State, "jobs");
        Directory.CreateDirectory(_folder);
        _kinds = kinds.ToDictionary(k => k.Name, StringComparer.Ordinal);
        _log = log;
        foreach (var file in Directory.EnumerateFiles(_folder, "*.json").Where(f => !AtomicFile.IsTemporary(f)))
        {
            try
            {
                var record = JsonFile.Read<JobRecord>(file);
                _jobs[record.Id] = new Job(record);
            }
            catch (Exception e) when (e is IOException or InvalidDataException)
            {
                WebErrors.Warn(_log, $"job file {file} is unreadable and was left out", e.Message);
            }
        }
    }

    public IEnumerable<string> Kinds => _kinds.Keys;

    /// <summary>Queues again the jobs a previous server left queued or running; those that ran continue from checkpoints.</summary>
    public void ResumeAfterRestart()
    {
        lock (_lock)
        {
            foreach (var job in _jobs.Values)
                job.Update(r =>
                {
                    if (r.State == JobState.Running) (r.State, r.Resume) = (JobState.Queued, true);
                });
            foreach (var job in _jobs.Values.Where(j => j.Snapshot().State == JobState.Queued))
            {
                Save(job);
                job.Publish("log", new { text = "resumed after a server restart" });
            }
        }
        foreach (var lane in _jobs.Values.Select(j => j.Snapshot().Lane).Distinct().ToList()) Pump(lane);
    }

    public JobRecord Submit(string kind, string lane, string title, Dictionary<string, string> parameters)
    {
        if (!_kinds.ContainsKey(kind)) throw new ArgumentException($"unknown job kind '{kind}'");
        var record = new JobRecord
        {
            Id = $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}",
            Kind = kind,
            Lane = lane,
            Title = title,
            Parameters = parameters,
            State = JobState.Queued,
            Created = DateTime.UtcNow,
        };
        var job = new Job(record);
        lock (_lock) _jobs[record.Id] = job;
        Save(job);
        job.Publish("state", record.Copy());
        Pump(lane);
        return job.Snapshot();
    }

    public Job? Get(string id)
    {
        lock (_lock) return _jobs.GetValueOrDefault(id);
    }

    public IReadOnlyList<JobRecord> List()
    {
        lock (_lock) return _jobs.Values.Select(j => j.Snapshot()).OrderByDescending(r => r.Created).ToList();
    }

    /// <summary>The newest unfinished job of a lane with this parameter value (e.g. the retraining of one manifest).</summary>
    public JobRecord? Active(string kind, string parameter, string value) =>
        List().FirstOrDefault(r => r.Kind == kind && !r.IsFinished && r.Parameters.GetValueOrDefault(parameter) == value);

    /// <summary>Cancels a queued job at once, a running one at its next progress report. False when it already finished.</summary>
    public bool Cancel(string id)
    {
        var job = Get(id);
        if (job is null) return false;
        bool queued = false, running = false;
        job.Update(r =>
        {
            queued = r.State == JobState.Queued;
            running = r.State == JobState.Running;
            if (queued) (r.State, r.Finished) = (JobState.Cancelled, DateTime.UtcNow);
        });
        if (queued)
        {
            Save(job);
            job.Publish("state", job.Snapshot());
        }
        if (running) job.Cancellation?.Cancel();
        return queued || running;
    }

    /// <summary>Queues a cancelled or failed job again, continuing from its checkpoints.</summary>
    public bool Resume(string id)
    {
        var job = Get(id);
        if (job is null) return false;
        bool ok = false;
        job.Update(r =>
        {
            ok = r.State is JobState.Cancelled or JobState.Failed;
            if (ok) (r.State, r.Resume, r.Error, r.Finished) = (JobState.Queued, true, null, null);
        });
        if (!ok) return false;
        Save(job);
        job.Publish("state", job.Snapshot());
        Pump(job.Snapshot().Lane);
        return true;
    }

    /// <summary>Starts the lane's oldest queued job unless the lane is busy.</summary>
    private void Pump(string lane)
    {
        Job? next;
        lock (_lock)
        {
            if (_disposed || _busyLanes.Contains(lane)) return;
            next = _jobs.Values.Select(j => (job: j, record: j.Snapshot()))
                .Where(j => j.record.Lane == lane && j.record.State == JobState.Queued)
                .OrderBy(j => j.record.Created).Select(j => j.job).FirstOrDefault();
            if (next is null) return;
            _busyLanes.Add(lane);
            next.Cancellation = new CancellationTokenSource();
            next.Update(r => (r.State, r.Started, r.Attempts) = (JobState.Running, DateTime.UtcNow, r.Attempts + 1));
            // libtorch's work is synchronous and long: a thread of its own, not the thread pool
            var thread = new Thread(() => Execute(next, lane)) { IsBackground = true, Name = $"job {next.Id}" };
            _threads.Add(thread);
            thread.Start();
        }
        Save(next);
        next.Publish("state", next.Snapshot());
    }

    private void Execute(Job job, string lane)
    {
        var record = job.Snapshot();
        var context = new JobContext(job, () => Save(job), job.Cancellation!.Token);
        JobState state;
        string? error = null;
        try
        {
            _kinds[record.Kind].Run(context);
            context.ReadCurves();
            state = JobState.Succeeded;
        }
        catch (OperationCanceledException)
        {
            // stopped by a server shutting down: left queued for the next server; else cancelled by the user
            lock (_lock) state = _disposed ? JobState.Queued : JobState.Cancelled;
        }
        catch (Exception e)
        {
            state = JobState.Failed;
            error = WebErrors.Describe(e, _log);
        }
        job.Update(r => (r.State, r.Error, r.Finished, r.Resume) =
            (state, error, state == JobState.Queued ? null : DateTime.UtcNow, state is JobState.Cancelled or JobState.Queued));
        Save(job);
        job.Publish("state", job.Snapshot());
        lock (_lock) _busyLanes.Remove(lane);
        Pump(lane);
    }

    private void Save(Job job)
    {
        var r = job.Snapshot();
        try
        {
            AtomicFile.WriteText(Path.Combine(_folder, $"{r.Id}.json"), JsonSettings.Serialize(r));
        }
        catch (IOException e)
        {
            WebErrors.Warn(_log, $"job {r.Id} could not be saved", e.Message);
        }
    }

    /// <summary>
    /// Stops running jobs and waits for them (their next progress report): they stay queued, with their checkpoints,
    /// for the next server to continue.
    /// </summary>
    public void Dispose()
    {
        List<Thread> threads;
        lock (_lock)
        {
            _disposed = true;
            threads = _threads.ToList();
        }
        foreach (var job in _jobs.Values) job.Cancellation?.Cancel();
        foreach (var t in threads) t.Join(TimeSpan.FromSeconds(30));
        foreach (var job in _jobs.Values) job.Cancellation?.Dispose();
    }
}
