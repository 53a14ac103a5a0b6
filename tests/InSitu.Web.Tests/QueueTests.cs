using System.Net;
using System.Text.Json;
using InSitu.Data;
using InSitu.Web.Queue;
using InSitu.Workflows.Stages;

namespace InSitu.Web.Tests;

[Collection("web")]
public sealed class QueueTests(WebTestData data)
{
    private static async Task<JsonElement> Ranked(WebClient client)
    {
        var r = await client.PostOk("/api/queue/rank", new { manifest = WebTestData.ManifestId, model = WebTestData.ModelId });
        var job = await client.WaitJob(r.GetProperty("job").GetString()!);
        Assert.Equal("succeeded", job.GetProperty("state").GetString());
        return await client.Get($"/api/queue?m={WebTestData.ManifestId}");
    }

    [Fact]
    public async Task TheQueueRanksByUncertaintyLabelsAndUndoes()
    {
        using var factory = new WebFactory(data.Options());
        using var client = await WebClient.Open(factory);
        var view = await Ranked(client);
        var before = Manifest.Load(data.ManifestFile);
        int waiting = before.Rows.Count(StageUncertainty.NeedsStage);
        Assert.Equal(waiting, view.GetProperty("waiting").GetInt32());
        var item = view.GetProperty("item");
        var path = item.GetProperty("path").GetString()!;
        var row = before.Rows.Single(r => r.Path == path);
        // the most uncertain image comes first: nothing waiting has a higher uncertainty
        var state = factory.Provider.GetService(typeof(StageQueueService)) as StageQueueService;
        Assert.Equal(state!.Load(WebTestData.ManifestId).Images.Max(i => i.Uncertainty), item.GetProperty("uncertainty").GetDouble(), 5);
        // the candidates are the stages of its range, keyed 1, 2, ...
        var candidates = item.GetProperty("candidates").EnumerateArray().ToList();
        Assert.Equal(StageUncertainty.Candidates(row.Range).Select(c => c.Value),
            candidates.Select(c => c.GetProperty("stage").GetInt32()));
        Assert.Equal("1", candidates[0].GetProperty("key").GetString());
        Assert.Equal(1.0, candidates.Sum(c => c.GetProperty("p").GetDouble()), 3);
        Assert.Equal(6, item.GetProperty("nearest").GetArrayLength());
        Assert.All(item.GetProperty("nearest").EnumerateArray(), n => Assert.InRange(n.GetProperty("stage").GetInt32(), 4, 17));

        // label it: the manifest on disk changes, the next image comes up
        int stage = candidates[^1].GetProperty("stage").GetInt32();
        await client.PostOk("/api/queue/label", new { manifest = WebTestData.ManifestId, path, stage });
        Assert.Equal(stage, Manifest.Load(data.ManifestFile).Rows.Single(r => r.Path == path).Stage);
        view = await client.Get($"/api/queue?m={WebTestData.ManifestId}");
        Assert.NotEqual(path, view.GetProperty("item").GetProperty("path").GetString());
        Assert.Equal(waiting - 1, view.GetProperty("waiting").GetInt32());
        Assert.True(view.GetProperty("canUndo").GetBoolean());
        // skipping hides an image for this session only
        var next = view.GetProperty("item").GetProperty("path").GetString()!;
        var skipped = await client.Get($"/api/queue?m={WebTestData.ManifestId}&skip={Uri.EscapeDataString(next)}");
        Assert.NotEqual(next, skipped.GetProperty("item").GetProperty("path").GetString());

        // a stage outside the image's range is refused, naming the range
        var nextRow = Manifest.Load(data.ManifestFile).Rows.Single(r => r.Path == next);
        int wrong = nextRow.Range == 6 ? 4 : 17;
        var (status, error) = await WebClient.Error(
            await client.Post("/api/queue/label", new { manifest = WebTestData.ManifestId, path = next, stage = wrong }));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("outside this image's range", error, StringComparison.Ordinal);

        // undo restores the file as it was
        await client.PostOk("/api/queue/undo", new { manifest = WebTestData.ManifestId });
        var after = Manifest.Load(data.ManifestFile);
        Assert.Equal(before.Rows, after.Rows, new RowComparer());
        var history = LabelHistory.Read(data.ManifestFile);
        Assert.Equal(history[^2].Seq, history[^1].Undoes);
        (status, _) = await WebClient.Error(await client.Post("/api/queue/undo", new { manifest = WebTestData.ManifestId }));
        Assert.Equal(HttpStatusCode.Conflict, status);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task RetrainingRunsTheStageWorkflowWithALiveCurveAndRanksAgain()
    {
        using var factory = new WebFactory(data.Options());
        using var client = await WebClient.Open(factory);
        await Ranked(client);
        var r = await client.PostOk("/api/queue/retrain", new
        {
            manifest = WebTestData.ManifestId,
            method = "plain",
            config = "{\"fine\": {\"epochs\": 2, \"milestones\": [1]}}",
        });
        var id = r.GetProperty("job").GetString()!;
        // the live stream: state, progress and curve events
        using var stream = await client.Http.GetStreamAsync($"/api/jobs/{id}/events");
        using var reader = new StreamReader(stream);
        var events = new List<string>();
        while (await reader.ReadLineAsync() is { } line)
            if (line.StartsWith("event: ", StringComparison.Ordinal)) events.Add(line[7..]);
        Assert.Equal("state", events[0]);
        Assert.Contains("progress", events);
        Assert.Contains("curve", events);
        var job = await client.WaitJob(id);
        Assert.Equal("succeeded", job.GetProperty("state").GetString());
        Assert.Equal(2, job.GetProperty("curvePoints").GetInt32());
        var run = r.GetProperty("out").GetString()!;
        Assert.Equal(run, job.GetProperty("result").GetProperty("model").GetString());
        Assert.True(File.Exists(Path.Combine(data.Root, run, "model.json")));
        var svg = await client.Http.GetStringAsync($"/api/jobs/{id}/curve.svg");
        Assert.Contains("validation", svg, StringComparison.Ordinal);
        // the queue now ranks with the new model and records the retraining (quality against labels)
        var view = await client.Get($"/api/queue?m={WebTestData.ManifestId}");
        Assert.Equal(run, view.GetProperty("model").GetString());
        Assert.Equal(1, view.GetProperty("retrainings").GetArrayLength());
        var learning = await client.Http.GetStringAsync($"/api/queue/learning.svg?m={WebTestData.ManifestId}");
        Assert.Contains("<svg", learning, StringComparison.Ordinal);
    }

    private sealed class RowComparer : IEqualityComparer<ManifestRow>
    {
        public bool Equals(ManifestRow? a, ManifestRow? b) =>
            a!.Path == b!.Path && a.Stage == b.Stage && a.Range == b.Range && a.Gene == b.Gene && a.Split == b.Split;

        public int GetHashCode(ManifestRow r) => r.Path.GetHashCode(StringComparison.Ordinal);
    }
}
