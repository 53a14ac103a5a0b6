using InSitu.Data;
using InSitu.Web.Terms;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace InSitu.Web.Endpoints;

/// <summary>
/// Term review of gene-stage bags: bag manifests (data folder first), `bags predict` outputs in the runs folder, the bags
/// with their predicted terms, and accepting, correcting and undoing reviews (<see cref="TermReview"/>).
/// </summary>
public static class TermEndpoints
{
    public sealed record ReviewRequest(string Manifest, string Bag, string Action, List<string>? Terms);
    public sealed record ManifestRequest(string Manifest);

    public static void Map(IEndpointRouteBuilder e)
    {
        e.MapGet("/api/terms/sources", (FileRoots roots) => Results.Json(new
        {
            // the data folder's manifests first; those under runs too (the demos write their datasets there)
            manifests = roots.All.SelectMany(r => Catalog.Files(r.path, Catalog.IsManifest)).Select(roots.IdOf).OfType<string>().Distinct(),
            predictions = Catalog.Files(roots.Runs, TermReview.IsPrediction)
                .Select(f => new { id = roots.IdOf(f), modified = File.GetLastWriteTimeUtc(f) })
                .Where(p => p.id is not null).OrderByDescending(p => p.modified).Select(p => p.id),
        }));
        e.MapGet("/api/terms", (string m, string? p, string? show, int? offset, int? limit, FileRoots roots) =>
        {
            var file = ManifestFile(m, roots);
            var manifest = Manifest.Load(file);
            var predictions = p is { Length: > 0 }
                ? TermReview.ReadPredictions(roots.ResolveFile(p)
                    ?? throw new WebErrors.NotFoundException($"no prediction file '{p}'")).bags
                : [];
            var history = TermReview.Read(file);
            var reviewed = TermReview.Reviewed(history);
            var bags = TermReview.Bags(manifest);
            var shown = bags.Where(b => show switch
            {
                "reviewed" => reviewed.ContainsKey(b.bag),
                "unreviewed" => !reviewed.ContainsKey(b.bag),
                _ => true,
            }).ToList();
            int from = Math.Max(0, offset ?? 0), count = Math.Clamp(limit ?? 20, 1, 200);
            return Results.Json(new
            {
                manifest = m,
                predictions = p,
                bags = bags.Count,
                reviewedBags = reviewed.Count,
                predictedBags = bags.Count(b => predictions.ContainsKey(b.bag)),
                matching = shown.Count,
                offset = from,
                items = shown.Skip(from).Take(count).Select(b =>
                {
                    var first = manifest.Rows[b.rows[0]];
                    return new
                    {
                        b.bag,
                        gene = first.Gene,
                        range = first.Range,
                        rangeName = first.Range is { } r && r is >= 1 and <= 6 ? StageRanges.Names[r - 1] : null,
                        images = b.rows.Count,
                        rows = b.rows.Take(4),
                        terms = TermReview.TermsOf(manifest, b.rows),
                        predicted = predictions.GetValueOrDefault(b.bag),
                        review = reviewed.GetValueOrDefault(b.bag),
                    };
                }),
                history = history.TakeLast(10).Reverse(),
                canUndo = EditHistoryFile.LatestUndoable(history) is not null,
            });
        });
        e.MapPost("/api/terms/review", (ReviewRequest request, FileRoots roots) =>
            Results.Json(TermReview.Review(ManifestFile(request.Manifest, roots), request.Bag, request.Action, request.Terms ?? [])));
        e.MapPost("/api/terms/undo", (ManifestRequest request, FileRoots roots) =>
            TermReview.Undo(ManifestFile(request.Manifest, roots)) is { } edit
                ? Results.Json(edit)
                : Results.Json(new { error = "nothing to undo" }, statusCode: StatusCodes.Status409Conflict));
    }

    /// <summary>A manifest inside the roots (the data folder, or a demo's dataset under runs).</summary>
    private static string ManifestFile(string id, FileRoots roots) =>
        roots.ResolveFile(id) is { } f && Catalog.IsManifest(f) ? f : throw new WebErrors.NotFoundException($"no bag manifest '{id}'");
}
