namespace InSitu.Web.Jobs;

/// <summary>A job in memory: its record, the events watchers are sent, and the switch that cancels it.</summary>
public sealed class Job
{
    private const int KeptEvents = 2000;
    private readonly object _lock = new();
    private readonly JobRecord _record;
    private readonly List<JobEvent> _events = new();
    private long _seq;
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal Job(JobRecord record) => _record = record;

    public string Id => _record.Id;

    internal CancellationTokenSource? Cancellation { get; set; }

    /// <summary>A copy of the record, safe to read while the job runs.</summary>
    public JobRecord Snapshot()
    {
        lock (_lock) return _record.Copy();
    }

    internal void Update(Action<JobRecord> change)
    {
        lock (_lock) change(_record);
    }

    internal void Publish(string type, object data)
    {
        TaskCompletionSource done;
        lock (_lock)
        {
            _events.Add(new JobEvent(++_seq, type, data));
            if (_events.Count > KeptEvents) _events.RemoveRange(0, _events.Count - KeptEvents);
            done = _next;
            _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        done.TrySetResult();
    }

    /// <summary>Events after <paramref name="after"/>; waits for the next one when there is none yet.</summary>
    public async Task<IReadOnlyList<JobEvent>> EventsAfterAsync(long after, CancellationToken cancel)
    {
        Task wait;
        lock (_lock)
        {
            var newer = _events.Where(e => e.Seq > after).ToList();
            if (newer.Count > 0) return newer;
            wait = _next.Task;
        }
        await wait.WaitAsync(cancel).ConfigureAwait(false);
        lock (_lock) return _events.Where(e => e.Seq > after).ToList();
    }
}
