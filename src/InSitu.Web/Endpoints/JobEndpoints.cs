using System.Text.Json;
using InSitu.Web.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace InSitu.Web.Endpoints;

/// <summary>Background jobs: list, state, live events (server-sent), curve chart, cancel and resume.</summary>
public static class JobEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static void Map(IEndpointRouteBuilder e)
    {
        e.MapGet("/api/jobs", (JobManager jobs) => Results.Json(jobs.List().Select(Summary), Json));
        e.MapGet("/api/jobs/{id}", (string id, JobManager jobs) => Results.Json(Summary(Find(jobs, id).Snapshot()), Json));
        e.MapPost("/api/jobs/{id}/cancel", (string id, JobManager jobs) =>
            jobs.Cancel(Find(jobs, id).Id) ? Results.Json(new { ok = true }) : Conflict("the job has already finished"));
        e.MapPost("/api/jobs/{id}/resume", (string id, JobManager jobs) =>
            jobs.Resume(Find(jobs, id).Id) ? Results.Json(new { ok = true }) : Conflict("only a cancelled or failed job can be resumed"));
        e.MapGet("/api/jobs/{id}/curve.svg", (string id, JobManager jobs, int? width, int? height) =>
        {
            var r = Find(jobs, id).Snapshot();
            var svg = Charts.TrainingCurve(r.Curve, Math.Clamp(width ?? 640, 200, 2000), Math.Clamp(height ?? 300, 150, 1500));
            return Results.Text(svg, "image/svg+xml");
        });
        e.MapGet("/api/jobs/{id}/events", Events);
    }

    private static Job Find(JobManager jobs, string id) => jobs.Get(id) ?? throw new WebErrors.NotFoundException($"no job '{id}'");

    private static IResult Conflict(string message) => Results.Json(new { error = message }, statusCode: StatusCodes.Status409Conflict);

    /// <summary>What the pages show of a job (the curve's points are counted, the chart draws them).</summary>
    public static object Summary(JobRecord r) => new
    {
        r.Id,
        r.Kind,
        r.Title,
        State = r.State.ToString().ToLowerInvariant(),
        r.Created,
        r.Started,
        r.Finished,
        r.Error,
        r.Resume,
        r.Attempts,
        r.Parameters,
        r.Result,
        CurvePoints = r.Curve.Count,
        Last = r.Curve.Count > 0 ? r.Curve[^1] : null,
    };

    /// <summary>
    /// Server-sent events: the job's state first, then every event as it happens (Last-Event-ID continues a broken
    /// stream). The stream ends after the job's final state.
    /// </summary>
    private static async Task Events(string id, HttpContext context, JobManager jobs)
    {
        var job = Find(jobs, id);
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        var cancel = context.RequestAborted;
        long last = long.TryParse(context.Request.Headers["Last-Event-ID"].ToString(), out var l) ? l : 0;
        await Write(context, null, "state", Summary(job.Snapshot())).ConfigureAwait(false);
        if (job.Snapshot().IsFinished) return;
        try
        {
            while (!cancel.IsCancellationRequested)
            {
                foreach (var ev in await job.EventsAfterAsync(last, cancel).ConfigureAwait(false))
                {
                    last = ev.Seq;
                    var data = ev.Data is JobRecord r ? Summary(r) : ev.Data;
                    await Write(context, ev.Seq, ev.Type, data).ConfigureAwait(false);
                    if (ev.Data is JobRecord { IsFinished: true }) return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // the browser went away
        }
    }

    private static async Task Write(HttpContext context, long? seq, string type, object data)
    {
        var text = (seq is { } s ? $"id: {s}\n" : "") + $"event: {type}\ndata: {JsonSerializer.Serialize(data, Json)}\n\n";
        await context.Response.WriteAsync(text, context.RequestAborted).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
