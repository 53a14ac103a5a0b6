using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using InSitu.Data;
using InSitu.Torch;
using InSitu.Web.Jobs;
using InSitu.Web.Queue;
using InSitu.Workflows.Stages;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace InSitu.Web.Endpoints;

/// <summary>
/// Datasets: the manifests under the roots as a paged, filtered gallery, their images, and for one image the stage
/// model's prediction and saliency overlay (the stage workflow's <see cref="StageScorer"/> and <see cref="StageExplainer"/>).
/// </summary>
public static class DatasetEndpoints
{
    public sealed record PredictJobRequest(string Model, string Input, string? Out);

    public static void Map(IEndpointRouteBuilder e)
    {
        e.MapGet("/api/datasets", (FileRoots roots) => Results.Json(roots.All
            .SelectMany(r => Catalog.Files(r.path, Catalog.IsManifest).Select(f => roots.IdOf(f)))
            .Where(id => id is not null).Distinct().Select(id => new { id })));
        e.MapGet("/api/datasets/rows", Rows);
        e.MapGet("/api/datasets/image", (string m, int row, int? size, FileRoots roots) =>
        {
            var (manifest, r) = Row(m, row, roots);
            return Results.Bytes(Thumbnail(ImagePath(manifest, r, roots), size ?? 0), "image/png");
        });
        e.MapGet("/api/stage/models", (FileRoots roots) => Results.Json(Catalog.Files(roots.Runs, Catalog.IsStageModel)
            .Select(f => new
            {
                id = roots.IdOf(Path.GetFileName(f) == "model.json" ? Path.GetDirectoryName(f)! : f),
                modified = File.GetLastWriteTimeUtc(f),
            }).Where(x => x.id is not null).OrderByDescending(x => x.modified)));
        e.MapGet("/api/stage/predict", (string m, int row, string model, FileRoots roots, StageQueueService queue) =>
        {
            var (manifest, r) = Row(m, row, roots);
            ImagePath(manifest, r, roots);
            var score = queue.Score(manifest, r, model) ?? throw new InvalidDataException($"'{manifest.Rows[r].Path}' could not be read");
            var candidates = StageUncertainty.Candidates(manifest.Rows[r].Range);
            return Results.Json(new
            {
                stages = PreciseStage.All.Select(s => s.Value),
                probabilities = score.Probabilities,
                predicted = score.Best.Value,
                uncertainty = candidates.Count > 0 ? StageUncertainty.Entropy(score.Probabilities, candidates) : double.NaN,
            });
        });
        e.MapGet("/api/stage/saliency", (string m, int row, string model, string? method, FileRoots roots, StageQueueService queue) =>
        {
            var (manifest, r) = Row(m, row, roots);
            var image = ImagePath(manifest, r, roots);
            var kind = method switch
            {
                null or "saliency" => ExplanationKind.Saliency,
                "guided" => ExplanationKind.Guided,
                "gradcam" => ExplanationKind.GradCam,
                _ => throw new ArgumentException($"unknown method '{method}': use saliency, guided or gradcam"),
            };
            var modelFile = queue.ModelFile(model);
            var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(
                $"{modelFile}|{File.GetLastWriteTimeUtc(modelFile).Ticks}|{image}|{File.GetLastWriteTimeUtc(image).Ticks}|{kind}")))[..24];
            var folder = Path.Combine(roots.State, "cache", "explain", key);
            var overlay = Path.Combine(folder, $"{Path.GetFileNameWithoutExtension(image)}.{Common.EnumNames.Name(kind)}.overlay.png");
            if (!File.Exists(overlay)) StageExplainer.ExplainToFolder(modelFile, [image], kind, null, folder);
            return Results.File(overlay, "image/png");
        });
        e.MapPost("/api/stage/predict-job", (PredictJobRequest request, FileRoots roots, JobManager jobs, StageQueueService queue) =>
        {
            queue.ModelFile(request.Model);
            var input = roots.Resolve(request.Input) is { } p && (File.Exists(p) || Directory.Exists(p))
                ? p : throw new WebErrors.NotFoundException($"no '{request.Input}'");
            var name = Path.GetFileNameWithoutExtension(input);
            var output = request.Out ?? $"runs/predictions/{name}-{DateTime.UtcNow:yyyyMMdd-HHmmss}.csv";
            if (roots.Resolve(output) is null) throw new WebErrors.NotFoundException($"'{output}' is outside the roots");
            var record = jobs.Submit(StagePredictJob.KindName, File.Exists(input) ? Path.GetDirectoryName(input)! : input,
                $"predict stages of {request.Input}", new() { ["model"] = request.Model, ["input"] = request.Input, ["out"] = output });
            return Results.Json(new { job = record.Id, @out = output });
        });
    }

    private static IResult Rows(HttpContext context, string m, FileRoots roots)
    {
        var q = context.Request.Query;
        var manifest = Load(m, roots);
        string? F(string name) => q[name].ToString() is { Length: > 0 } v ? v : null;
        int? I(string name) => int.TryParse(F(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;
        var (stage, range, gene, term, split, labels) = (I("stage"), I("range"), F("gene"), F("term"), F("split"), F("labels"));
        int size = Math.Clamp(I("size") ?? 48, 1, 500), page = Math.Max(0, I("page") ?? 0);
        var hits = Enumerable.Range(0, manifest.Rows.Count).Where(i =>
        {
            var r = manifest.Rows[i];
            return (stage is null || r.Stage == stage) && (range is null || r.Range == range)
                && (gene is null || (r.Gene?.Contains(gene, StringComparison.OrdinalIgnoreCase) ?? false))
                && (term is null || (r.Terms?.Any(t => t.Contains(term, StringComparison.OrdinalIgnoreCase)) ?? false))
                && (split is null || r.Split == split || (split == "none" && r.Split is null))
                && labels switch
                {
                    "precise" => r.Stage is not null,
                    "range" => r.Stage is null && r.Range is not null,
                    "none" => r.Stage is null && r.Range is null,
                    _ => true,
                };
        }).ToList();
        return Results.Json(new
        {
            manifest = m,
            total = hits.Count,
            all = manifest.Rows.Count,
            page,
            size,
            rows = hits.Skip(page * size).Take(size).Select(i => RowJson(manifest, i)),
            splits = manifest.Rows.Select(r => r.Split ?? "none").Distinct().Order(),
            history = LabelHistory.Read(manifest.SourceFile!).Count,
        });
    }

    public static object RowJson(Manifest manifest, int i)
    {
        var r = manifest.Rows[i];
        return new { row = i, r.Path, r.Label, r.Stage, r.Range, r.Gene, r.View, r.Terms, r.Bag, r.Split };
    }

    public static Manifest Load(string id, FileRoots roots) =>
        Manifest.Load(roots.ResolveFile(id) is { } f && Catalog.IsManifest(f)
            ? f : throw new WebErrors.NotFoundException($"no manifest '{id}'"));

    public static (Manifest manifest, int row) Row(string id, int row, FileRoots roots)
    {
        var manifest = Load(id, roots);
        if (row < 0 || row >= manifest.Rows.Count) throw new WebErrors.NotFoundException($"no row {row} in '{id}'");
        return (manifest, row);
    }

    /// <summary>The image of a row, if it lies inside the roots (a manifest may name files elsewhere: those are not served).</summary>
    public static string ImagePath(Manifest manifest, int row, FileRoots roots) =>
        roots.Contain(manifest.FullPath(manifest.Rows[row])) is { } p && File.Exists(p)
            ? p : throw new WebErrors.NotFoundException($"the image of row {row} is missing or outside the data and runs folders");

    /// <summary>An image as an 8-bit RGB PNG, scaled down to at most <paramref name="maxSide"/> pixels (0: as it is).</summary>
    public static byte[] Thumbnail(string path, int maxSide)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var img = ImageIO.ReadRgb8(path);
        int h = (int)img.Shape[0], w = (int)img.Shape[1];
        if (maxSide > 0 && Math.Max(h, w) > maxSide)
        {
            double f = (double)maxSide / Math.Max(h, w);
            (h, w) = (Math.Max(1, (int)Math.Round(h * f)), Math.Max(1, (int)Math.Round(w * f)));
            img = ImageIO.Resize(img, h, w, interpolation: 3);
        }
        return PngImage.Encode(img.Contiguous().ToArray<byte>(), w, h, 3);
    }
}
