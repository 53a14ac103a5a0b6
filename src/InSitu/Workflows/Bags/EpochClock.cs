using InSitu.Data;

namespace InSitu.Workflows.Bags;

/// <summary>
/// A batch source that remembers which epoch the trainer asked it for last, so a task's loss can follow per-epoch schedules
/// (focal gamma, tempering). The trainer asks for epoch e before its first step of epoch e, also after a resume.
/// </summary>
public sealed class EpochClock<TBatch>(IBatchSource<TBatch> inner) : IBatchSource<TBatch> where TBatch : IDisposable
{
    /// <summary>The epoch (0-based) being served.</summary>
    public int Current { get; private set; }

    public int Count => inner.Count;

    public int BatchesPerEpoch => inner.BatchesPerEpoch;

    public IEnumerable<TBatch> Epoch(int epoch, CancellationToken cancel = default)
    {
        Current = epoch;
        return inner.Epoch(epoch, cancel);
    }
}
