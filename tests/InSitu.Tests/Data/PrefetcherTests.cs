using InSitu.Data;

namespace InSitu.Tests.Data;

public class PrefetcherTests
{
    private sealed class Counted : IDisposable
    {
        private static int _disposed;
        public Counted(int work) => Work = work;
        public int Work { get; }
        public static int Disposed => Volatile.Read(ref _disposed);
        public void Dispose() => Interlocked.Increment(ref _disposed);
    }

    [Fact]
    public void BatchesComeInWorkOrderAndThoseMadeAheadAreReleasedOnAnEarlyStop()
    {
        var work = Enumerable.Range(0, 40).ToList();
        int made = 0;
        Counted Make(int w)
        {
            Thread.Sleep((w * 7) % 5); // later work may finish first
            Interlocked.Increment(ref made);
            return new Counted(w);
        }
        Assert.Equal(work, Prefetcher.Run(work, 6, Make).Select(b => { b.Dispose(); return b.Work; }));

        int before = Counted.Disposed;
        made = 0;
        foreach (var batch in Prefetcher.Run(work, 4, Make))
        {
            batch.Dispose();
            break;
        }
        Assert.True(SpinWait.SpinUntil(() => Counted.Disposed - before == Volatile.Read(ref made), 5000),
            $"{Volatile.Read(ref made)} batches made but {Counted.Disposed - before} released");
        Assert.InRange(made, 1, 6); // the producer stopped: at most the batches in flight were made
    }

    [Fact]
    public void SlicesKnowTheEpochPositionOfTheirFirstItem()
    {
        var order = new[] { 5, 3, 9, 1, 7 };
        var slices = Prefetcher.Slices(order, 2, Prefetcher.BatchCount(order.Length, 2, dropLast: false));
        Assert.Equal(new[] { 0, 2, 4 }, slices.Select(s => s.FirstPosition));
        Assert.Equal(new[] { 7 }, slices[2].Items.ToArray());
        Assert.Equal(2, Prefetcher.BatchCount(order.Length, 2, dropLast: true));
    }
}
