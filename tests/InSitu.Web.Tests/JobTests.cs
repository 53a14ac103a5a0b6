using System.Collections.Concurrent;
using InSitu.Tests;
using InSitu.Web.Jobs;
using Microsoft.Extensions.Logging.Abstractions;

namespace InSitu.Web.Tests;

public sealed class JobTests : TempFolderTest
{
    /// <summary>A job that reports progress until released (or cancelled), recording what it saw.</summary>
    private sealed class Gate : IJobKind
    {
        public ConcurrentDictionary<string, ManualResetEventSlim> Release { get; } = new();
        public ConcurrentQueue<(string id, bool resume, string phase)> Runs { get; } = new();
        public ConcurrentDictionary<string, int> Running { get; } = new();

        public string Name => "gate";

        public void Run(JobContext context)
        {
            var gate = Release.GetOrAdd(context.Id, _ => new ManualResetEventSlim());
            Runs.Enqueue((context.Id, context.Resume, context.Parameter("lane")));
            Running[context.Id] = 1;
            try
            {
                int step = 0;
                while (!gate.Wait(10)) context.Progress("waiting", ++step % 100, 100);
                if (context.Optional("fail") is { } message) throw new InvalidDataException(message);
            }
            finally
            {
                Running.TryRemove(context.Id, out _);
            }
        }
    }

    private JobManager Manager(Gate gate) => new(new FileRoots(Path.Combine(dir, "data"), Path.Combine(dir, "runs")), [gate],
        NullLogger<JobManager>.Instance);

    private static void Until(Func<bool> condition, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException(what);
            Thread.Sleep(10);
        }
    }

    private static JobState State(JobManager m, string id) => m.Get(id)!.Snapshot().State;

    [Fact]
    public void OneJobAtATimePerDataFolderOthersInParallel()
    {
        var gate = new Gate();
        using var jobs = Manager(gate);
        var a = jobs.Submit("gate", "lane-1", "a", new() { ["lane"] = "1" }).Id;
        var b = jobs.Submit("gate", "lane-1", "b", new() { ["lane"] = "1" }).Id;
        var c = jobs.Submit("gate", "lane-2", "c", new() { ["lane"] = "2" }).Id;
        Until(() => gate.Running.ContainsKey(a) && gate.Running.ContainsKey(c), "a and c run together");
        Assert.Equal(JobState.Queued, State(jobs, b));
        gate.Release.GetOrAdd(a, _ => new()).Set();
        Until(() => gate.Running.ContainsKey(b), "b starts after a");
        Assert.Equal(JobState.Succeeded, State(jobs, a));
        gate.Release.GetOrAdd(b, _ => new()).Set();
        gate.Release.GetOrAdd(c, _ => new()).Set();
        Until(() => State(jobs, b) == JobState.Succeeded && State(jobs, c) == JobState.Succeeded, "all done");
        Assert.Throws<ArgumentException>(() => jobs.Submit("nothing", "lane-1", "x", new()));
    }

    [Fact]
    public void CancelledJobsResumeAndFailuresAreOneLine()
    {
        var gate = new Gate();
        using var jobs = Manager(gate);
        var a = jobs.Submit("gate", "l", "a", new() { ["lane"] = "1" }).Id;
        var queued = jobs.Submit("gate", "l", "b", new() { ["lane"] = "1" }).Id;
        Until(() => gate.Running.ContainsKey(a), "a runs");
        Assert.True(jobs.Cancel(queued)); // queued: cancelled at once
        Assert.Equal(JobState.Cancelled, State(jobs, queued));
        Assert.True(jobs.Cancel(a)); // running: at its next progress report
        Until(() => State(jobs, a) == JobState.Cancelled, "a cancelled");
        Assert.False(jobs.Cancel(a));
        Assert.True(jobs.Resume(a));
        Until(() => gate.Runs.Count(r => r.id == a) == 2, "a runs again");
        Assert.True(gate.Runs.Last(r => r.id == a).resume); // from its checkpoints
        gate.Release.GetOrAdd(a, _ => new()).Set();
        Until(() => State(jobs, a) == JobState.Succeeded, "a done");
        Assert.False(jobs.Resume(a));

        var bad = jobs.Submit("gate", "l", "bad", new() { ["lane"] = "1", ["fail"] = "x.csv:2: no such stage\nat line 2" }).Id;
        gate.Release.GetOrAdd(bad, _ => new()).Set();
        Until(() => State(jobs, bad) == JobState.Failed, "bad failed");
        Assert.Equal("x.csv:2: no such stage at line 2", jobs.Get(bad)!.Snapshot().Error);
    }

    [Fact]
    public void AServerRestartContinuesTheJobsItLeft()
    {
        var gate = new Gate();
        string running, waiting;
        using (var jobs = Manager(gate))
        {
            running = jobs.Submit("gate", "l", "a", new() { ["lane"] = "1" }).Id;
            waiting = jobs.Submit("gate", "l", "b", new() { ["lane"] = "1" }).Id;
            Until(() => gate.Running.ContainsKey(running), "a runs");
        } // the server stops: a is interrupted
        var second = new Gate();
        using var restarted = Manager(second);
        Assert.Equal(JobState.Queued, State(restarted, running));
        Assert.True(restarted.Get(running)!.Snapshot().Resume);
        restarted.ResumeAfterRestart();
        Until(() => second.Running.ContainsKey(running), "a runs again");
        Assert.True(second.Runs.Single(r => r.id == running).resume);
        second.Release.GetOrAdd(running, _ => new()).Set();
        Until(() => second.Running.ContainsKey(waiting), "then b");
        Assert.False(second.Runs.Single(r => r.id == waiting).resume);
        second.Release.GetOrAdd(waiting, _ => new()).Set();
        Until(() => State(restarted, waiting) == JobState.Succeeded, "b done");
    }

    [Fact]
    public async Task WatchersGetEveryEventInOrder()
    {
        var gate = new Gate();
        using var jobs = Manager(gate);
        var id = jobs.Submit("gate", "l", "a", new() { ["lane"] = "1" }).Id;
        var job = jobs.Get(id)!;
        var first = await job.EventsAfterAsync(0, CancellationToken.None);
        Assert.Equal("state", first[0].Type);
        Until(() => gate.Running.ContainsKey(id), "runs");
        var later = await job.EventsAfterAsync(first[^1].Seq, CancellationToken.None);
        Assert.True(later[0].Seq > first[^1].Seq);
        gate.Release.GetOrAdd(id, _ => new()).Set();
        Until(() => State(jobs, id) == JobState.Succeeded, "done");
        using var cancel = new CancellationTokenSource(50);
        var all = await job.EventsAfterAsync(0, cancel.Token);
        Assert.Equal(all.Select(e => e.Seq).Order(), all.Select(e => e.Seq));
        Assert.Contains(all, e => e.Type == "progress");
    }
}
