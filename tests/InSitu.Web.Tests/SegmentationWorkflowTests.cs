using System.Net;
using InSitu.Web.Segmentation;

namespace InSitu.Web.Tests;

/// <summary>The annotator wired to the real segmentation workflow (<see cref="SegmentationWorkflow"/>) through the test host.</summary>
[Collection("web")]
public sealed class SegmentationWorkflowTests(WebTestData data)
{
    [Fact]
    [Trait("Category", "Slow")]
    public async Task TrainsOnThePaintedLabelsThenPredictsAndSuggestsAnUnannotatedPatch()
    {
        var project = WorkflowFiles.SegProject(data, "segwf");
        using var factory = new WebFactory(SegmentationWorkflow.Wire(data.Options()));
        using var client = await WebClient.Open(factory);
        string Info() => $"/api/seg/info?p={project}&image=cells.png";
        Assert.True((await client.Get(Info())).GetProperty("workflow").GetBoolean());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, (await client.Get(Info())).GetProperty("model").ValueKind);

        // settings are checked when the job is asked for, naming the key
        var typo = await client.Post("/api/seg/train", new { project, settings = "{\"patch_sise\": 32}" });
        var (status, error) = await WebClient.Error(typo);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("patch_sise", error, StringComparison.Ordinal);

        var train = await client.PostOk("/api/seg/train", new { project, settings = WorkflowFiles.QuickSettings });
        var job = await client.WaitJob(train.GetProperty("job").GetString()!);
        Assert.True(job.GetProperty("state").GetString() == "succeeded", job.ToString());
        Assert.Equal(2, job.GetProperty("curvePoints").GetInt32()); // one point per epoch, read from the run's curve.json
        var run = train.GetProperty("run").GetString()!;
        Assert.Equal(run, job.GetProperty("result").GetProperty("model").GetString());
        Assert.True(File.Exists(Path.Combine(data.Root, run, "model.json")));
        Assert.Equal(run, (await client.Get(Info())).GetProperty("model").GetString());

        // the overlays: a class per pixel (0 or 1) and the normalised entropy as 0..255
        var prediction = await SegmentationTests.Raw(client, $"/api/seg/prediction?p={project}&image=cells.png");
        int n = WorkflowFiles.SegWidth * WorkflowFiles.SegHeight;
        Assert.Equal(2 * n, prediction.Length);
        Assert.All(prediction.Take(n), c => Assert.InRange(c, (byte)0, (byte)1));
        Assert.True(prediction.Skip(n).Distinct().Count() > 1, "the uncertainty map is flat");

        // the next patch is a training-patch cell that holds no annotated pixel: the middle column of the 3 x 2 grid
        var patch = await client.PostOk("/api/seg/suggest", new { project });
        Assert.Equal("cells.png", patch.GetProperty("image").GetString());
        Assert.Equal((32, 32, 32), (patch.GetProperty("x").GetInt32(), patch.GetProperty("width").GetInt32(),
            patch.GetProperty("height").GetInt32()));

        // a second training starts from the first model (same network and classes)
        var again = await client.PostOk("/api/seg/train", new { project, settings = WorkflowFiles.QuickSettings });
        var second = await client.Get($"/api/jobs/{again.GetProperty("job").GetString()}");
        Assert.Equal(run, second.GetProperty("parameters").GetProperty("init").GetString());
        Assert.Equal("succeeded", (await client.WaitJob(again.GetProperty("job").GetString()!)).GetProperty("state").GetString());
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task StopCancelsATrainingThatCanResume()
    {
        var project = WorkflowFiles.SegProject(data, "segstop");
        using var factory = new WebFactory(SegmentationWorkflow.Wire(data.Options()));
        using var client = await WebClient.Open(factory);
        var long_ = WorkflowFiles.QuickSettings.Replace("\"epochs\": 2", "\"epochs\": 400", StringComparison.Ordinal);
        var id = (await client.PostOk("/api/seg/train", new { project, settings = long_ })).GetProperty("job").GetString()!;
        var until = DateTime.UtcNow.AddSeconds(120);
        while ((await client.Get($"/api/jobs/{id}")).GetProperty("curvePoints").GetInt32() < 1 && DateTime.UtcNow < until)
            await Task.Delay(100);
        await client.PostOk($"/api/jobs/{id}/cancel", new { });
        var job = await client.WaitJob(id);
        Assert.Equal("cancelled", job.GetProperty("state").GetString());
        Assert.InRange(job.GetProperty("curvePoints").GetInt32(), 1, 399);
        Assert.True(job.GetProperty("resume").GetBoolean());
        // no model for the project from a stopped training
        var info = await client.Get($"/api/seg/info?p={project}&image=cells.png");
        Assert.Equal(System.Text.Json.JsonValueKind.Null, info.GetProperty("model").ValueKind);
    }

    [Fact]
    public async Task TrainingAProjectWithoutAnnotationsFailsSayingWhatToDo()
    {
        var images = Path.Combine(data.Data, "segempty", "images");
        Directory.CreateDirectory(images);
        File.Copy(Path.Combine(data.Data, "seg", "images", "small.png"), Path.Combine(images, "small.png"), overwrite: true);
        using var factory = new WebFactory(SegmentationWorkflow.Wire(data.Options()));
        using var client = await WebClient.Open(factory);
        var train = await client.PostOk("/api/seg/train", new { project = "data/segempty/images" });
        var job = await client.WaitJob(train.GetProperty("job").GetString()!);
        Assert.Equal("failed", job.GetProperty("state").GetString());
        Assert.Contains("paint some labels", job.GetProperty("error").GetString(), StringComparison.Ordinal);
        var (status, _) = await WebClient.Error(await client.Post("/api/seg/suggest", new { project = "data/segempty/images" }));
        Assert.Equal(HttpStatusCode.BadRequest, status); // no model yet
    }
}
