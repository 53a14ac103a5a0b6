using System.Threading.Channels;

namespace InSitu.Data;

/// <summary>
/// The pipeline every batch source streams through: the epoch's batches, each described by a work item computed up
/// front from (seed, epoch) alone, are made in parallel ahead of the consumer and served in order. At most
/// <c>inFlight</c> batches are being made or waiting at once, so memory stays bounded however large the dataset.
/// </summary>
public static class Prefetcher
{
    /// <summary>
    /// Batches of <paramref name="work"/> in order, made by <paramref name="make"/> on worker threads. A consumer
    /// that stops early (break, error, cancellation) stops the producer, and batches already made are disposed.
    /// </summary>
    public static IEnumerable<TBatch> Run<TWork, TBatch>(IReadOnlyList<TWork> work, int inFlight, Func<TWork, TBatch> make,
        CancellationToken cancel = default) where TBatch : IDisposable
    {
        var pending = Channel.CreateBounded<Task<TBatch>>(
            new BoundedChannelOptions(Math.Max(1, inFlight)) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var producer = Task.Run(async () =>
        {
            try
            {
                for (int b = 0; b < work.Count && !stop.IsCancellationRequested; b++)
                {
                    var item = work[b];
                    var task = Task.Run(() => make(item), CancellationToken.None);
                    try { await pending.Writer.WriteAsync(task, stop.Token); }
                    catch (OperationCanceledException) { DisposeWhenMade(task); throw; }
                }
            }
            catch (OperationCanceledException) { }
            finally { pending.Writer.TryComplete(); }
        }, CancellationToken.None);
        try
        {
            while (pending.Reader.WaitToReadAsync(cancel).AsTask().GetAwaiter().GetResult())
                while (pending.Reader.TryRead(out var task))
                    yield return task.GetAwaiter().GetResult();
        }
        finally
        {
            // stopped early: batches still being made are released when they are done, so none is left to the finaliser
            stop.Cancel();
            while (pending.Reader.TryRead(out var task)) DisposeWhenMade(task);
            try { producer.Wait(CancellationToken.None); } catch (AggregateException) { }
            while (pending.Reader.TryRead(out var task)) DisposeWhenMade(task);
        }
    }

    private static void DisposeWhenMade<TBatch>(Task<TBatch> task) where TBatch : IDisposable =>
        task.ContinueWith(t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion,
            TaskScheduler.Default);

    /// <summary>Batches of an epoch of <paramref name="items"/> items.</summary>
    public static int BatchCount(int items, int batchSize, bool dropLast) =>
        dropLast ? items / batchSize : (items + batchSize - 1) / batchSize;

    /// <summary>An epoch's ordered items cut into batches, each with the epoch position of its first item.</summary>
    public static List<Slice<T>> Slices<T>(T[] order, int batchSize, int batches)
    {
        var slices = new List<Slice<T>>(batches);
        for (int b = 0; b < batches; b++)
        {
            int start = b * batchSize, count = Math.Min(batchSize, order.Length - start);
            slices.Add(new Slice<T>(new ArraySegment<T>(order, start, count), start));
        }
        return slices;
    }

    public readonly record struct Slice<T>(ArraySegment<T> Items, int FirstPosition);
}
