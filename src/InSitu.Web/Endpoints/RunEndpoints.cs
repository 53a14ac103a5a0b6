using InSitu.Data;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace InSitu.Web.Endpoints;

/// <summary>Run directories: the list, their files (report.html and what it shows), and comparisons side by side.</summary>
public static class RunEndpoints
{
    private static readonly Dictionary<string, string> Types = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".png"] = "image/png",
        [".jpg"] = "image/jpeg",
        [".jpeg"] = "image/jpeg",
        [".svg"] = "image/svg+xml",
        [".json"] = "application/json; charset=utf-8",
        [".jsonl"] = "text/plain; charset=utf-8",
        [".csv"] = "text/csv; charset=utf-8",
        [".md"] = "text/plain; charset=utf-8",
        [".txt"] = "text/plain; charset=utf-8",
    };

    public static void Map(IEndpointRouteBuilder e)
    {
        e.MapGet("/api/runs", (FileRoots roots) => Results.Json(Catalog.RunFolders(roots.Runs).Select(dir => new
        {
            id = roots.IdOf(dir),
            name = Path.GetRelativePath(roots.Runs, dir),
            kind = RunSummary.Kind(dir),
            modified = Directory.GetLastWriteTimeUtc(dir),
            report = File.Exists(Path.Combine(dir, "report.html")) ? roots.IdOf(Path.Combine(dir, "report.html")) : null,
            figures = SafeFigures(dir, Path.GetRelativePath(roots.Runs, dir)),
        }).OrderByDescending(r => r.modified)));
        // any file under the roots, by id: /files/runs/demo/report.html
        e.MapGet("/files/{**id}", (string id, FileRoots roots) =>
        {
            var file = roots.ResolveFile(id);
            if (file is null || !Types.TryGetValue(Path.GetExtension(file), out var type))
                throw new WebErrors.NotFoundException("no such file in the data or runs folder");
            return Results.File(file, type);
        });
        e.MapGet("/api/runs/compare", (string ids, FileRoots roots) =>
        {
            var runs = Runs(ids, roots);
            return Results.Json(new
            {
                stages = PreciseStage.All.Select(s => s.Value),
                runs = runs.Select(r => new { id = r.id, name = r.name, kind = RunSummary.Kind(r.dir) }),
                figures = runs.SelectMany(r => SafeFigures(r.dir, r.name)),
                curves = runs.SelectMany(r => RunSummary.Curves(r.dir).Select(c => new { run = r.name, c.phase, epochs = c.epochs.Count })),
            });
        });
        e.MapGet("/api/runs/compare/stages.svg", (string ids, FileRoots roots) =>
        {
            var series = Runs(ids, roots).SelectMany(r => SafeFigures(r.dir, r.name))
                .Select(f => ($"{f.Run}: {f.Method}", PreciseStage.All.Select(s => (double)s.Value).ToArray(),
                    f.PerStage.Select(v => 100 * v).ToArray()))
                .ToList();
            return Results.Text(Charts.Lines("stage", "accuracy (%)", series, 760, 360, 0, 100), "image/svg+xml");
        });
        e.MapGet("/api/runs/compare/curves.svg", (string ids, FileRoots roots) =>
        {
            var series = Runs(ids, roots).SelectMany(r => RunSummary.Curves(r.dir).Select(c => ($"{r.name}: {c.phase}",
                c.epochs.Select(m => (double)m.Epoch).ToArray(), c.epochs.Select(m => m.Selection).ToArray()))).ToList();
            return Results.Text(Charts.Lines("epoch", "validation (selection metric)", series, 760, 360), "image/svg+xml");
        });
    }

    private static List<(string id, string name, string dir)> Runs(string ids, FileRoots roots) =>
        ids.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(12)
            .Select(id => (id, dir: roots.ResolveFolder(id) ?? throw new WebErrors.NotFoundException($"no run '{id}'")))
            .Select(r => (r.id, Path.GetRelativePath(roots.Runs, r.dir), r.dir)).ToList();

    /// <summary>A run's figures; a results file that cannot be read gives none (the run is still listed).</summary>
    private static List<MethodFigures> SafeFigures(string dir, string name)
    {
        try
        {
            return RunSummary.Figures(dir, name);
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return [];
        }
    }
}
