using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace InSitu.Web.Tests;

[Collection("web")]
public sealed class SecurityTests(WebTestData data)
{
    private static readonly string[] Traversals =
    [
        "/files/runs/..%2F..%2Foutside%2Fsecret.txt",
        "/files/runs/%2e%2e/outside/secret.txt",
        "/files/data/..%2Foutside/secret.txt",
        "/files/%2Fetc%2Fpasswd",
        "/files//etc/passwd",
        "/files/etc/passwd",
        "/files/data/out.txt",
        "/files/data/outdir/secret.txt",
        "/api/seg/images?p=data/seg%00/images",
        "/files/data/..%5Coutside%5Csecret.txt",
        "/api/datasets/rows?m=runs/..%2F..%2Fetc%2Fpasswd",
        "/api/datasets/rows?m=%2Fetc%2Fpasswd",
        "/api/datasets/rows?m=data/outdir/secret.txt",
        "/api/seg/images?p=data/outdir",
        "/api/seg/info?p=data/seg/images&image=..%2F..%2Fout.txt",
        "/api/seg/tile?p=data/seg/images&image=%2Fetc%2Fpasswd&level=0&x=0&y=0",
        "/api/jobs/..%2F..%2Fx",
        "/static/..%2Fapp.js",
        "/api/stage/predict?m=runs/demo/data/manifest.csv&row=1&model=runs%2F..%2F..%2Foutside",
        "/api/queue?m=data%2F..%2F..%2Foutside%2Fm.csv",
    ];

    [Fact]
    public async Task TraversalGets404()
    {
        using var factory = new WebFactory(data.Options());
        using var client = await WebClient.Open(factory);
        foreach (var url in Traversals)
        {
            var r = await client.Http.GetAsync(url);
            var (status, error) = await WebClient.Error(r);
            Assert.True(status == HttpStatusCode.NotFound, $"{url}: {(int)status} {error}");
            Assert.DoesNotContain(WebTestData.Secret, error, StringComparison.Ordinal);
            Assert.DoesNotContain(data.Outside, error, StringComparison.Ordinal);
        }
        // writes too: labels into a linked folder that leads out, a class list there
        var labels = new ByteArrayContent(SegmentationTests.Gzip(new byte[4]));
        Assert.Equal(HttpStatusCode.NotFound, (await client.Send("/api/seg/labels?p=data/outdir&image=a.png", labels)).StatusCode);
        var classes = await client.Post("/api/seg/classes", new { project = "data/outdir", classes = new[] { "a" } });
        Assert.Equal(HttpStatusCode.NotFound, classes.StatusCode);
        Assert.False(Directory.Exists(Path.Combine(data.Root, "outdir-labels")));
    }

    [Fact]
    public async Task FilesInsideTheRootsAreServedLinksIncluded()
    {
        using var factory = new WebFactory(data.Options());
        using var client = await WebClient.Open(factory);
        Assert.Equal("inside", await client.Http.GetStringAsync("/files/data/notes.txt"));
        Assert.Equal("inside", await client.Http.GetStringAsync("/files/data/in.txt")); // a link that stays inside
        var report = await client.Http.GetAsync("/files/runs/m1/config.json");
        Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        // a type the server does not serve
        Assert.Equal(HttpStatusCode.NotFound, (await client.Http.GetAsync("/files/runs/m1/model.pt")).StatusCode);
    }

    [Fact]
    public async Task EveryPostNeedsTheAntiForgeryToken()
    {
        using var factory = new WebFactory(data.Options());
        using var client = await WebClient.Open(factory);
        foreach (var path in new[]
                 {
                     "/api/queue/undo", "/api/queue/label", "/api/queue/rank", "/api/queue/retrain",
                     "/api/seg/labels?p=data/seg/images&image=small.png", "/api/seg/classes", "/api/seg/train", "/api/seg/suggest",
                     "/api/jobs/x/cancel", "/api/jobs/x/resume", "/api/stage/predict-job",
                 })
        {
            var r = await client.Send(path, new StringContent("{}", System.Text.Encoding.UTF8, "application/json"), withToken: false);
            var (status, error) = await WebClient.Error(r);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Contains("anti-forgery", error, StringComparison.Ordinal);
        }
        // with the token the same request reaches the endpoint (here: nothing to undo yet, or a missing job)
        var ok = await client.Post("/api/jobs/x/cancel", new { });
        Assert.Equal(HttpStatusCode.NotFound, ok.StatusCode);
    }

    [Fact]
    public async Task BeyondLoopbackATokenIsRequired()
    {
        Assert.Throws<ArgumentException>(() => new WebFactory(data.Options(host: "0.0.0.0")).CreateClient());
        var token = WebServer.NewToken();
        Assert.True(token.Length >= 40);
        using var factory = new WebFactory(data.Options(token, "0.0.0.0"));
        var http = factory.CreateClient(
            new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var (status, error) = await WebClient.Error(await http.GetAsync("/api/runs"));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("token", error, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/?token=wrong")).StatusCode);
        // header
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/runs");
        request.Headers.Add(WebServer.TokenHeader, token);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(request)).StatusCode);
        // the printed address sets the cookie and drops the token from the address; the cookie then suffices
        var first = await http.GetAsync($"/runs?token={token}&x=1");
        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        Assert.Equal("/runs?x=1", first.Headers.Location!.ToString());
        Assert.Contains(first.Headers.GetValues("Set-Cookie"),
            c => c.StartsWith($"{WebServer.TokenCookie}={token}", StringComparison.Ordinal)
            && c.Contains("httponly", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/runs")).StatusCode);
    }

    [Fact]
    public async Task OnLoopbackOnlyLocalHostNamesAreAnswered()
    {
        using var factory = new WebFactory(data.Options());
        var http = factory.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/runs");
        request.Headers.Host = "attacker.example";
        var (status, _) = await WebClient.Error(await http.SendAsync(request));
        Assert.Equal(HttpStatusCode.BadRequest, status);
    }

    [Fact]
    public async Task BodiesOverTheLimitAreRefused()
    {
        using var factory = new WebFactory(data.Options() with { MaxUploadBytes = 4096 });
        using var client = await WebClient.Open(factory);
        var big = new ByteArrayContent(new byte[10000]);
        var (status, error) = await WebClient.Error(await client.Send("/api/seg/labels?p=data/seg/images&image=small.png", big));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("4096 bytes", error, StringComparison.Ordinal);
        // a body without a declared length is cut off too
        var stream = new StreamContent(new MemoryStream(new byte[10000]));
        stream.Headers.ContentLength = null;
        (status, _) = await WebClient.Error(await client.Send("/api/seg/labels?p=data/seg/images&image=small.png", stream));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
    }

    [Fact]
    public async Task ErrorsAreOneLineWithoutStackTraces()
    {
        using var factory = new WebFactory(data.Options(), e =>
        {
            e.MapGet("/test/bug", string () => throw new InvalidCastException("a bug"));
            e.MapGet("/test/input", string () => throw new InvalidDataException("x.csv:3: stage 19 is not a stage\nsecond line"));
        });
        using var client = await WebClient.Open(factory);
        var (status, error) = await WebClient.Error(await client.Http.GetAsync("/test/bug"));
        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Equal("unexpected InvalidCastException: a bug (the server's log has the details)", error);
        (status, error) = await WebClient.Error(await client.Http.GetAsync("/test/input"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("x.csv:3: stage 19 is not a stage second line", error);
        // a manifest with a bad line is named with its line
        var bad = Path.Combine(data.Data, "bad", "manifest.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(bad)!);
        File.WriteAllText(bad, "path,stage\na.png,4\nb.png,31\n");
        (status, error) = await WebClient.Error(await client.Http.GetAsync("/api/datasets/rows?m=data/bad/manifest.csv"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("manifest.csv:3", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PagesCarryASecurityPolicy()
    {
        using var factory = new WebFactory(data.Options());
        var http = factory.CreateClient();
        foreach (var page in new[] { "/", "/runs", "/compare", "/datasets", "/image", "/queue", "/annotate", "/jobs" })
        {
            var r = await http.GetAsync(page);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Contains("script-src 'self'", r.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
            Assert.Equal("nosniff", r.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Contains("<script src=\"/static/app.js\">", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/static/annotate.js")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/static/nothing.js")).StatusCode);
        var report = await http.GetAsync("/files/runs/m1/config.json");
        Assert.Contains("sandbox", report.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }
}
