using System.Net;
using System.Text.Json;
using InSitu.Data;

namespace InSitu.Web.Tests;

[Collection("web")]
public sealed class RunAndDatasetTests(WebTestData data)
{
    [Fact]
    public async Task RunsAreListedReportsOpenAndComparisonsDrawRealCharts()
    {
        using var factory = new WebFactory(data.Options());
        using var client = await WebClient.Open(factory);
        var runs = await client.Get("/api/runs");
        var m1 = runs.EnumerateArray().Single(r => r.GetProperty("id").GetString() == "runs/m1");
        Assert.Equal("stage train", m1.GetProperty("kind").GetString());
        Assert.Equal("plain", m1.GetProperty("figures")[0].GetProperty("method").GetString());
        // the server's own folder and a run's phase folders are not runs
        Assert.DoesNotContain(runs.EnumerateArray(),
            r => r.GetProperty("name").GetString()!.Contains(".insitu-web", StringComparison.Ordinal));
        Assert.DoesNotContain(runs.EnumerateArray(), r => r.GetProperty("id").GetString() == "runs/m1/plain");

        var compare = await client.Get("/api/runs/compare?ids=runs/m1");
        var figures = compare.GetProperty("figures")[0];
        var evaluation = JsonDocument.Parse(File.ReadAllText(Path.Combine(data.Runs, "m1", "evaluation.json"))).RootElement
            .GetProperty("evaluation");
        Assert.Equal(evaluation.GetProperty("overall_accuracy").GetDouble(), figures.GetProperty("overall").GetDouble(), 9);
        Assert.Equal(14, figures.GetProperty("perStage").GetArrayLength());
        Assert.Equal("plain", compare.GetProperty("curves")[0].GetProperty("phase").GetString());
        foreach (var chart in new[] { "stages", "curves" })
        {
            var r = await client.Http.GetAsync($"/api/runs/compare/{chart}.svg?ids=runs/m1");
            Assert.Equal("image/svg+xml", r.Content.Headers.ContentType!.MediaType);
            var svg = await r.Content.ReadAsStringAsync();
            Assert.Contains("<svg", svg, StringComparison.Ordinal);
            Assert.Contains("m1: plain", svg, StringComparison.Ordinal); // the legend names run and method (or phase)
        }
        Assert.Equal(HttpStatusCode.NotFound, (await client.Http.GetAsync("/api/runs/compare?ids=runs/nothing")).StatusCode);
    }

    [Fact]
    public async Task TheGalleryFiltersAndPagesAManifest()
    {
        using var factory = new WebFactory(data.Options());
        using var client = await WebClient.Open(factory);
        var sets = await client.Get("/api/datasets");
        Assert.Contains(sets.EnumerateArray(), s => s.GetProperty("id").GetString() == WebTestData.ManifestId);
        var m = Manifest.Load(data.ManifestFile);
        async Task<int> Count(string filter) =>
            (await client.Get($"/api/datasets/rows?m={WebTestData.ManifestId}&{filter}")).GetProperty("total").GetInt32();
        Assert.Equal(m.Rows.Count(r => r.Stage == 7), await Count("stage=7"));
        Assert.Equal(m.Rows.Count(r => r.Range == 6), await Count("range=6"));
        Assert.Equal(m.Rows.Count(r => r.Stage is null && r.Range is not null), await Count("labels=range"));
        var gene = m.Rows.First(r => r.Gene is not null).Gene!;
        Assert.Equal(m.Rows.Count(r => r.Gene!.Contains(gene[..3], StringComparison.OrdinalIgnoreCase)), await Count($"gene={gene[..3]}"));
        var term = m.Rows.First(r => r.Terms is { Count: > 0 }).Terms![0];
        Assert.Equal(m.Rows.Count(r => r.Terms?.Any(t => t.Contains(term, StringComparison.OrdinalIgnoreCase)) ?? false),
            await Count($"term={Uri.EscapeDataString(term)}"));
        Assert.Equal(m.Rows.Count, await Count("split=none")); // the demo manifest has no split column
        var page = await client.Get($"/api/datasets/rows?m={WebTestData.ManifestId}&size=10&page=2");
        Assert.Equal(10, page.GetProperty("rows").GetArrayLength());
        Assert.Equal(20, page.GetProperty("rows")[0].GetProperty("row").GetInt32());

        var png = await client.Http.GetByteArrayAsync($"/api/datasets/image?m={WebTestData.ManifestId}&row=3&size=100");
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, png[..4]);
        var path = Path.Combine(data.Root, "thumb.png");
        File.WriteAllBytes(path, png);
        using var img = InSitu.Torch.ImageIO.Read(path);
        Assert.Equal(100, img.Shape[1]); // 320 wide scaled to 100
        Assert.Equal(40, img.Shape[0]);
        var missing = await client.Http.GetAsync($"/api/datasets/image?m={WebTestData.ManifestId}&row=99999");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task AnImageShowsTheModelsPredictionAndSaliency()
    {
        using var factory = new WebFactory(data.Options());
        using var client = await WebClient.Open(factory);
        var models = await client.Get("/api/stage/models");
        Assert.Contains(models.EnumerateArray(), x => x.GetProperty("id").GetString() == WebTestData.ModelId);
        Assert.Contains(models.EnumerateArray(), x => x.GetProperty("id").GetString() == "runs/m1"); // the run folder, not its model.json
        var p = await client.Get($"/api/stage/predict?m={WebTestData.ManifestId}&row=5&model={WebTestData.ModelId}");
        var probabilities = p.GetProperty("probabilities").EnumerateArray().Select(v => v.GetDouble()).ToList();
        Assert.Equal(14, probabilities.Count);
        Assert.Equal(1.0, probabilities.Sum(), 4);
        Assert.Equal(4 + probabilities.IndexOf(probabilities.Max()), p.GetProperty("predicted").GetInt32());
        // the same numbers `stage predict` writes
        var csv = Path.Combine(data.Root, "pred.csv");
        var image = data.Manifest.FullPath(data.Manifest.Rows[5]);
        InSitu.Workflows.Stages.StagePredictor.PredictToCsv(Path.Combine(data.Runs, "m1"), image, csv);
        var line = File.ReadAllLines(csv)[1].Split(',');
        Assert.InRange(Math.Abs(double.Parse(line[3], System.Globalization.CultureInfo.InvariantCulture) - probabilities[0]), 0, 1e-5);

        foreach (var method in new[] { "saliency", "gradcam" })
        {
            var r = await client.Http.GetAsync(
                $"/api/stage/saliency?m={WebTestData.ManifestId}&row=5&model={WebTestData.ModelId}&method={method}");
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal("image/png", r.Content.Headers.ContentType!.MediaType);
        }
        var (status, error) = await WebClient.Error(await client.Http.GetAsync(
            $"/api/stage/saliency?m={WebTestData.ManifestId}&row=5&model={WebTestData.ModelId}&method=magic"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("saliency, guided or gradcam", error, StringComparison.Ordinal);
        var noModel = await client.Http.GetAsync($"/api/stage/predict?m={WebTestData.ManifestId}&row=5&model=runs/none");
        Assert.Equal(HttpStatusCode.NotFound, noModel.StatusCode);
    }

    [Fact]
    public async Task BatchPredictionRunsAsAJob()
    {
        using var factory = new WebFactory(data.Options());
        using var client = await WebClient.Open(factory);
        var r = await client.PostOk("/api/stage/predict-job",
            new { model = WebTestData.ModelId, input = WebTestData.ManifestId, @out = "runs/predictions/all.csv" });
        var job = await client.WaitJob(r.GetProperty("job").GetString()!);
        Assert.Equal("succeeded", job.GetProperty("state").GetString());
        Assert.Equal(data.Manifest.Rows.Count + 1, File.ReadAllLines(Path.Combine(data.Runs, "predictions", "all.csv")).Length);
        var (status, _) = await WebClient.Error(await client.Post("/api/stage/predict-job",
            new { model = WebTestData.ModelId, input = "data/../../etc", @out = "runs/x.csv" }));
        Assert.Equal(HttpStatusCode.NotFound, status);
    }
}
