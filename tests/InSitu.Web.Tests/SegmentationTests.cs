using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using InSitu.Torch;
using InSitu.Web.Jobs;
using InSitu.Web.Segmentation;

namespace InSitu.Web.Tests;

[Collection("web")]
public sealed class SegmentationTests(WebTestData data)
{
    private const string Project = "data/seg/images";
    private const string SmallLabels = $"/api/seg/labels?p={Project}&image=small.png";

    /// <summary>Label bytes as the browser sees them: it inflates the gzip body itself, the test client does not.</summary>
    public static async Task<byte[]> Raw(WebClient client, string url)
    {
        var r = await client.Http.GetAsync(url);
        Assert.True(r.IsSuccessStatusCode, $"GET {url}: {(int)r.StatusCode}");
        Assert.Equal("gzip", r.Content.Headers.ContentEncoding.Single());
        using var gz = new GZipStream(await r.Content.ReadAsStreamAsync(), CompressionMode.Decompress);
        using var raw = new MemoryStream();
        await gz.CopyToAsync(raw);
        return raw.ToArray();
    }

    public static byte[] Gzip(byte[] raw)
    {
        using var buffer = new MemoryStream();
        using (var gz = new GZipStream(buffer, CompressionLevel.Fastest)) gz.Write(raw);
        return buffer.ToArray();
    }

    [Fact]
    public async Task LabelsRoundTripAsIndexedPngsWith255ForUnannotated()
    {
        using var factory = new WebFactory(data.Options());
        using var client = await WebClient.Open(factory);
        var projects = await client.Get("/api/seg/projects");
        Assert.Contains(projects.EnumerateArray(), p => p.GetProperty("id").GetString() == Project);
        // the demo's images are a project too (images/ under runs), its report figures are not
        Assert.Contains(projects.EnumerateArray(), p => p.GetProperty("id").GetString() == "runs/demo/data/images");
        Assert.DoesNotContain(projects.EnumerateArray(), p => p.GetProperty("id").GetString() == "runs/m1");
        var images = await client.Get($"/api/seg/images?p={Project}");
        Assert.Equal(["big.png", "small.png"], images.EnumerateArray().Select(i => i.GetProperty("name").GetString()));
        var info = await client.Get($"/api/seg/info?p={Project}&image=small.png");
        Assert.Equal(64, info.GetProperty("width").GetInt32());
        Assert.False(info.GetProperty("workflow").GetBoolean());

        // nothing saved yet: every pixel is 255
        var labels = await Raw(client, SmallLabels);
        Assert.Equal(64 * 48, labels.Length);
        Assert.All(labels, v => Assert.Equal(255, v));
        labels[0] = 0;
        labels[64 * 10 + 5] = 1;
        var r = await client.Send(SmallLabels, new ByteArrayContent(Gzip(labels)));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var file = Path.Combine(data.Data, "seg", "labels", "small.png");
        using (var png = ImageIO.Read(file))
        {
            Assert.Equal(DType.UInt8, png.DType);
            Assert.Equal(new long[] { 48, 64 }, png.Shape[..2]);
            var px = png.Contiguous().ToArray<byte>();
            Assert.Equal(labels, px);
        }
        Assert.Equal(labels, await Raw(client, SmallLabels));

        // refused: a class the project lacks, the wrong size, data that is not gzip
        labels[7] = 5;
        var (status, error) = await WebClient.Error(await client.Send(SmallLabels, new ByteArrayContent(Gzip(labels))));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("class 5", error, StringComparison.Ordinal);
        (status, error) = await WebClient.Error(await client.Send(SmallLabels, new ByteArrayContent(Gzip(new byte[100]))));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("100 pixels", error, StringComparison.Ordinal);
        var tooMany = new ByteArrayContent(Gzip(new byte[64 * 48 + 1]));
        (status, _) = await WebClient.Error(await client.Send(SmallLabels, tooMany));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        (status, error) = await WebClient.Error(await client.Send(SmallLabels, new ByteArrayContent(new byte[64 * 48])));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("gzip", error, StringComparison.Ordinal);

        // a third class makes 5 acceptable... not yet: 2 is the third class
        await client.PostOk("/api/seg/classes", new { project = Project, classes = new[] { "background", "tissue", "stain" } });
        labels[7] = 2;
        Assert.Equal(HttpStatusCode.OK, (await client.Send(SmallLabels, new ByteArrayContent(Gzip(labels)))).StatusCode);
        (status, _) = await WebClient.Error(await client.Post("/api/seg/classes", new { project = Project, classes = new[] { "a", "a" } }));
        Assert.Equal(HttpStatusCode.BadRequest, status);
    }

    [Fact]
    public async Task TilesCoverLargeImagesAtEveryLevel()
    {
        using var factory = new WebFactory(data.Options());
        using var client = await WebClient.Open(factory);
        var info = await client.Get($"/api/seg/info?p={Project}&image=big.png");
        Assert.Equal(256, info.GetProperty("tileSize").GetInt32());
        async Task<(long w, long h, byte[] px)> Tile(int level, int x, int y)
        {
            var bytes = await client.Http.GetByteArrayAsync($"/api/seg/tile?p={Project}&image=big.png&level={level}&x={x}&y={y}");
            var path = Path.Combine(data.Root, "tile.png");
            File.WriteAllBytes(path, bytes);
            using var t = ImageIO.Read(path);
            return (t.Shape[1], t.Shape[0], t.Contiguous().ToArray<byte>());
        }
        Assert.Equal((256L, 256L), (await Tile(0, 0, 0)) is var a ? (a.w, a.h) : default);
        var edge = await Tile(0, 2, 2); // 700x520: the last tile holds 188x8 pixels
        Assert.Equal((188L, 8L), (edge.w, edge.h));
        var whole = await Tile(2, 0, 0); // a quarter of the size: the whole image in one tile
        Assert.Equal((175L, 130L), (whole.w, whole.h));
        // the gradient survives: red grows with x
        Assert.True(whole.px[(65 * 175 + 170) * 3] > whole.px[(65 * 175 + 5) * 3]);
        var outside = await client.Http.GetAsync($"/api/seg/tile?p={Project}&image=big.png&level=0&x=9&y=0");
        Assert.Equal(HttpStatusCode.NotFound, outside.StatusCode);
    }

    [Fact]
    public async Task WithoutTheWorkflowTrainSuggestAndPredictSayWhatWorks()
    {
        using var factory = new WebFactory(data.Options());
        using var client = await WebClient.Open(factory);
        foreach (var r in new[]
                 {
                     await client.Post("/api/seg/train", new { project = Project }),
                     await client.Post("/api/seg/suggest", new { project = Project }),
                     await client.Http.GetAsync($"/api/seg/prediction?p={Project}&image=small.png"),
                 })
        {
            var (status, error) = await WebClient.Error(r);
            Assert.Equal(HttpStatusCode.NotImplemented, status);
            Assert.Contains("not wired", error, StringComparison.Ordinal);
        }
    }

    /// <summary>A stand-in for the segmentation workflow: the plumbing (jobs, suggestion, overlays) is the annotator's.</summary>
    private sealed class Echo : ISegmentationService, IJobKind
    {
        public string Name => "echo-train";
        public IReadOnlyList<IJobKind> JobKinds => [this];
        public string? Model { get; private set; }

        public (string kind, Dictionary<string, string> parameters) Train(SegmentationProject project, string runId, string? settings) =>
            (Name, new() { ["run"] = runId });

        public void Run(JobContext context)
        {
            context.Progress("epoch", 1, 1);
            Model = context.Parameter("run");
        }

        public string? LatestModel(SegmentationProject project) => Model;

        public SuggestedPatch Suggest(SegmentationProject project, string modelId) => new("big.png", 256, 0, 256, 256, 0.9);

        public SegmentationPrediction Predict(SegmentationProject project, string image, string modelId) =>
            new(64, 48, Enumerable.Repeat((byte)1, 64 * 48).ToArray(), Enumerable.Range(0, 64 * 48).Select(i => (byte)(i % 256)).ToArray());
    }

    [Fact]
    public async Task AWiredWorkflowTrainsSuggestsAndPredicts()
    {
        var echo = new Echo();
        using var factory = new WebFactory(data.Options() with { Segmentation = echo });
        using var client = await WebClient.Open(factory);
        Assert.True((await client.Get($"/api/seg/info?p={Project}&image=small.png")).GetProperty("workflow").GetBoolean());
        var (status, _) = await WebClient.Error(await client.Post("/api/seg/suggest", new { project = Project }));
        Assert.Equal(HttpStatusCode.BadRequest, status); // no model yet: train first
        var train = await client.PostOk("/api/seg/train", new { project = Project });
        Assert.Equal("succeeded", (await client.WaitJob(train.GetProperty("job").GetString()!)).GetProperty("state").GetString());
        var info = await client.Get($"/api/seg/info?p={Project}&image=small.png");
        Assert.Equal(train.GetProperty("run").GetString(), info.GetProperty("model").GetString());
        var patch = await client.PostOk("/api/seg/suggest", new { project = Project });
        Assert.Equal(256, patch.GetProperty("x").GetInt32());
        var prediction = await Raw(client, $"/api/seg/prediction?p={Project}&image=small.png");
        Assert.Equal(2 * 64 * 48, prediction.Length);
        Assert.Equal(1, prediction[0]);
        Assert.Equal(5, prediction[64 * 48 + 5]);
    }
}
