namespace InSitu.Data;

/// <summary>
/// Where a training loop gets its batches: an epoch at a time, streamed, so a dataset need not fit in memory. An
/// epoch's batches depend only on (seed, epoch), never on timing or worker count, so a resumed run sees the same ones.
/// </summary>
public interface IBatchSource<out TBatch> where TBatch : IDisposable
{
    /// <summary>Items (images, bags, patches) per epoch.</summary>
    int Count { get; }

    int BatchesPerEpoch { get; }

    /// <summary>The batches of one epoch; the consumer disposes each.</summary>
    IEnumerable<TBatch> Epoch(int epoch, CancellationToken cancel = default);
}
