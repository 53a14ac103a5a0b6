using System.Globalization;
using System.IO.Compression;
using InSitu.Web.Jobs;
using InSitu.Web.Segmentation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace InSitu.Web.Endpoints;

/// <summary>
/// The segmentation annotator: projects, image tiles, label images in and out (gzip-compressed raw bytes, one per
/// pixel), class names, and the workflow's train, next-patch and prediction where a segmentation service is wired.
/// </summary>
public static class SegmentationEndpoints
{
    public sealed record ClassesRequest(string Project, List<string> Classes);
    public sealed record TrainRequest(string Project, string? Settings);
    public sealed record ModelRequest(string Project, string? Model);

    public static void Map(IEndpointRouteBuilder e)
    {
        e.MapGet("/api/seg/projects", (SegmentationProjects projects, FileRoots roots) => Results.Json(projects.List().Select(p => new
        {
            id = p.Id,
            labels = roots.IdOf(p.LabelFolder),
            classes = p.Classes,
        })));
        e.MapGet("/api/seg/images", (string p, SegmentationProjects projects) =>
        {
            var project = projects.Open(p);
            return Results.Json(project.Images().Take(5000).Select(name => new { name, labelled = File.Exists(project.LabelFile(name)) }));
        });
        e.MapGet("/api/seg/info", (string p, string image, SegmentationProjects projects, IServiceProvider services) =>
        {
            var project = projects.Open(p);
            var (_, w, h) = projects.Pixels(projects.ImageFile(project, image));
            var service = services.GetService<ISegmentationService>();
            return Results.Json(new
            {
                project = project.Id,
                image,
                width = w,
                height = h,
                tileSize = SegmentationProjects.TileSize,
                classes = project.Classes,
                labelled = File.Exists(project.LabelFile(image)),
                labelFile = projects.LabelId(project, image),
                workflow = service is not null,
                model = service?.LatestModel(project),
            });
        });
        e.MapGet("/api/seg/tile", (string p, string image, int level, int x, int y, SegmentationProjects projects, HttpContext context) =>
        {
            var project = projects.Open(p);
            context.Response.Headers.CacheControl = "private, max-age=300";
            return Results.Bytes(projects.Tile(projects.ImageFile(project, image), level, x, y), "image/png");
        });
        e.MapGet("/api/seg/labels", (string p, string image, SegmentationProjects projects) =>
        {
            var project = projects.Open(p);
            var (_, w, h) = projects.Pixels(projects.ImageFile(project, image));
            return Gzipped(projects.ReadLabels(project, image, w, h));
        });
        e.MapPost("/api/seg/labels", async (string p, string image, HttpContext context, SegmentationProjects projects) =>
        {
            var project = projects.Open(p);
            var (_, w, h) = projects.Pixels(projects.ImageFile(project, image));
            var labels = await ReadGzipped(context.Request.Body, w * h, context.RequestAborted).ConfigureAwait(false);
            var (perClass, unlabelled) = projects.WriteLabels(project, image, labels, w, h);
            return Results.Json(new { saved = projects.LabelId(project, image), perClass, unlabelled });
        });
        e.MapPost("/api/seg/classes", (ClassesRequest request, SegmentationProjects projects) =>
        {
            var project = projects.Open(request.Project);
            project.SaveClasses(request.Classes);
            return Results.Json(new { classes = request.Classes });
        });
        e.MapPost("/api/seg/train", (TrainRequest request, SegmentationProjects projects, IServiceProvider services, JobManager jobs) =>
        {
            var service = Service(services);
            var project = projects.Open(request.Project);
            var run = $"runs/segment/{string.Concat(project.Id.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-'))}-" +
                DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
            var (kind, parameters) = service.Train(project, run, request.Settings);
            var record = jobs.Submit(kind, project.ImageFolder, $"train segmentation on {project.Id}", parameters);
            return Results.Json(new { job = record.Id, run });
        });
        e.MapPost("/api/seg/suggest", (ModelRequest request, SegmentationProjects projects, IServiceProvider services) =>
        {
            var service = Service(services);
            var project = projects.Open(request.Project);
            var model = request.Model ?? service.LatestModel(project) ?? throw new InvalidOperationException("train a model first");
            return Results.Json(service.Suggest(project, model));
        });
        e.MapGet("/api/seg/prediction", (string p, string image, string? model, SegmentationProjects projects, IServiceProvider services) =>
        {
            var service = Service(services);
            var project = projects.Open(p);
            projects.ImageFile(project, image);
            var chosen = model ?? service.LatestModel(project) ?? throw new InvalidOperationException("train a model first");
            var prediction = service.Predict(project, image, chosen);
            return Gzipped([.. prediction.Classes, .. prediction.Uncertainty]);
        });
    }

    private static ISegmentationService Service(IServiceProvider services) =>
        services.GetService<ISegmentationService>()
        ?? throw new WebErrors.NotWiredException("the segmentation workflow is not wired into this server yet: painting and saving " +
            "labels work, " +
            "training, next patch and prediction do not");

    private static GzipResult Gzipped(byte[] raw)
    {
        using var buffer = new MemoryStream();
        using (var gz = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(raw);
        return new GzipResult(buffer.ToArray());
    }

    /// <summary>Exactly <paramref name="expected"/> bytes from a gzip body; more (a compression bomb) or fewer is refused.</summary>
    private static async Task<byte[]> ReadGzipped(Stream body, int expected, CancellationToken cancel)
    {
        var result = new byte[expected];
        int got = 0;
        try
        {
            await using var gz = new GZipStream(body, CompressionMode.Decompress);
            while (got < expected)
            {
                int n = await gz.ReadAsync(result.AsMemory(got), cancel).ConfigureAwait(false);
                if (n == 0) break;
                got += n;
            }
            var probe = new byte[1];
            if (got == expected && await gz.ReadAsync(probe, cancel).ConfigureAwait(false) > 0)
                throw new ArgumentException($"the label data holds more than the image's {expected} pixels");
        }
        catch (InvalidDataException)
        {
            throw new ArgumentException("the label data is not gzip-compressed");
        }
        if (got != expected) throw new ArgumentException($"the label data holds {got} pixels, the image {expected}");
        return result;
    }

    /// <summary>Raw bytes the browser inflates itself (Content-Encoding: gzip).</summary>
    private sealed class GzipResult(byte[] body) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.ContentType = "application/octet-stream";
            httpContext.Response.Headers.ContentEncoding = "gzip";
            httpContext.Response.ContentLength = body.Length;
            return httpContext.Response.Body.WriteAsync(body).AsTask();
        }
    }
}
