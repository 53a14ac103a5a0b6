using System.Globalization;
using InSitu.Web.Jobs;
using InSitu.Web.Queue;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace InSitu.Web.Endpoints;

/// <summary>The stage label queue: the next image, one-key labels, undo, ranking and retraining as jobs.</summary>
public static class QueueEndpoints
{
    public sealed record ModelRequest(string Manifest, string Model);
    public sealed record LabelRequest(string Manifest, string Path, int? Stage);
    public sealed record ManifestRequest(string Manifest);
    public sealed record RetrainRequest(string Manifest, string? Method, string? Config);

    public static void Map(IEndpointRouteBuilder e)
    {
        e.MapGet("/api/queue", (string m, string? skip, StageQueueService queue) =>
            Results.Json(queue.View(m, (skip ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal))));
        e.MapPost("/api/queue/rank", (ModelRequest request, StageQueueService queue, JobManager jobs) =>
        {
            var manifest = queue.ManifestFile(request.Manifest);
            queue.ModelFile(request.Model);
            var record = jobs.Submit(StageRankJob.KindName, Path.GetDirectoryName(manifest)!, $"rank the label queue of {request.Manifest}",
                new() { ["manifest"] = request.Manifest, ["model"] = request.Model });
            return Results.Json(new { job = record.Id });
        });
        e.MapPost("/api/queue/label", (LabelRequest request, StageQueueService queue) =>
            Results.Json(LabelHistory.SetStage(queue.ManifestFile(request.Manifest), request.Path, request.Stage)));
        e.MapPost("/api/queue/undo", (ManifestRequest request, StageQueueService queue) =>
            LabelHistory.Undo(queue.ManifestFile(request.Manifest)) is { } edit
                ? Results.Json(edit)
                : Results.Json(new { error = "nothing to undo" }, statusCode: StatusCodes.Status409Conflict));
        e.MapPost("/api/queue/retrain", (RetrainRequest request, StageQueueService queue, JobManager jobs, FileRoots roots) =>
        {
            var manifest = queue.ManifestFile(request.Manifest);
            var state = queue.Load(request.Manifest);
            if (jobs.Active(StageTrainJob.KindName, "manifest", request.Manifest) is { } running)
                return Results.Json(new { job = running.Id });
            var slug = string.Concat(request.Manifest.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-'));
            var folder = Path.Combine(roots.Runs, "queue", slug);
            int n = Directory.Exists(folder) ? Directory.EnumerateDirectories(folder, "retrain-*").Count() + 1 : 1;
            var parameters = new Dictionary<string, string>
            {
                ["manifest"] = request.Manifest,
                ["out"] = $"runs/queue/{slug}/retrain-{n.ToString("D3", CultureInfo.InvariantCulture)}",
                ["queue"] = "1",
            };
            if (state.Model is { } model) parameters["model"] = model;
            if (request.Method is { Length: > 0 } method) parameters["method"] = method;
            if (request.Config is { Length: > 0 } config) parameters["config"] = config;
            var record = jobs.Submit(StageTrainJob.KindName, Path.GetDirectoryName(manifest)!, $"retrain on {request.Manifest}",
                parameters);
            return Results.Json(new { job = record.Id, @out = parameters["out"] });
        });
        e.MapGet("/api/queue/learning.svg", (string m, StageQueueService queue) =>
        {
            var points = queue.Load(m).Retrainings.Where(r => double.IsFinite(r.MeanPerStageAccuracy)).ToList();
            var series = points.Count == 0 ? [] : new List<(string, double[], double[])>
            {
                ("mean per-stage accuracy on the test split", points.Select(p => (double)p.Labelled).ToArray(),
                    points.Select(p => 100 * p.MeanPerStageAccuracy).ToArray()),
            };
            return Results.Text(Charts.Lines("precisely labelled images", "accuracy (%)", series, 520, 280, 0, 100), "image/svg+xml");
        });
    }
}
