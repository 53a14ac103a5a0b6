using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;

namespace InSitu.Web.Tests;

/// <summary>An HTTP client of the test host that holds the session's cookies and sends the anti-forgery token on POST.</summary>
public sealed class WebClient : IDisposable
{
    private readonly string _csrf;

    private WebClient(HttpClient http, string csrf) => (Http, _csrf) = (http, csrf);

    public HttpClient Http { get; }

    public static async Task<WebClient> Open(WebFactory factory)
    {
        var http = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var session = await http.GetFromJsonAsync<JsonElement>("/api/session");
        return new WebClient(http, session.GetProperty("csrf").GetString()!);
    }

    public async Task<JsonElement> Get(string path)
    {
        var r = await Http.GetAsync(path);
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.IsSuccessStatusCode, $"GET {path}: {(int)r.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public Task<HttpResponseMessage> Post(string path, object body) => Send(path, JsonContent.Create(body));

    public Task<HttpResponseMessage> Send(string path, HttpContent content, bool withToken = true)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        if (withToken) request.Headers.Add(WebServer.CsrfHeader, _csrf);
        return Http.SendAsync(request);
    }

    public async Task<JsonElement> PostOk(string path, object body)
    {
        var r = await Post(path, body);
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.IsSuccessStatusCode, $"POST {path}: {(int)r.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Polls a job until it has finished; returns its summary.</summary>
    public async Task<JsonElement> WaitJob(string id, int seconds = 180)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < until)
        {
            var job = await Get($"/api/jobs/{id}");
            if (job.GetProperty("state").GetString() is "succeeded" or "failed" or "cancelled") return job;
            await Task.Delay(100);
        }
        throw new TimeoutException($"job {id} did not finish in {seconds} s");
    }

    /// <summary>A response's status and its one-line JSON error, checked to hold no stack trace.</summary>
    public static async Task<(HttpStatusCode status, string error)> Error(HttpResponseMessage r)
    {
        var text = await r.Content.ReadAsStringAsync();
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        Assert.DoesNotContain(".cs:line", text, StringComparison.Ordinal);
        var error = text.TrimStart().StartsWith('{') && JsonDocument.Parse(text).RootElement.TryGetProperty("error", out var e)
            ? e.GetString() ?? "" : text;
        return (r.StatusCode, error);
    }

    public void Dispose() => Http.Dispose();
}
