using System.Reflection;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace InSitu.Web.Endpoints;

/// <summary>The pages, scripts and styles (embedded in the assembly from wwwroot/) and the session handshake.</summary>
public static class PageEndpoints
{
    private static readonly Assembly Self = typeof(PageEndpoints).Assembly;

    private static readonly Dictionary<string, string> Types = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".png"] = "image/png",
    };

    /// <summary>Page names: /runs serves wwwroot/runs.html.</summary>
    public static readonly string[] Pages = ["index", "runs", "compare", "datasets", "image", "queue", "annotate", "terms", "jobs"];

    public static void Map(IEndpointRouteBuilder e)
    {
        e.MapGet("/", () => Asset("index.html"));
        foreach (var page in Pages) e.MapGet($"/{page}", () => Asset($"{page}.html"));
        e.MapGet("/static/{name}", (string name) => Asset(name));
        e.MapFallback("{*path}", () => Results.Json(new { error = "no such page or API" }, statusCode: StatusCodes.Status404NotFound));
        // the anti-forgery token every POST must carry (the cookie half is set here too)
        e.MapGet("/api/session", (HttpContext context, IAntiforgery forgery, WebOptions options, FileRoots roots) =>
        {
            var tokens = forgery.GetAndStoreTokens(context);
            return Results.Json(new
            {
                csrf = tokens.RequestToken,
                header = WebServer.CsrfHeader,
                data = roots.Data,
                runs = roots.Runs,
                segmentation = options.Segmentation is not null,
            });
        });
    }

    private static IResult Asset(string name)
    {
        // only names of embedded files are served: nothing here reads the file system
        if (name.Contains('/', StringComparison.Ordinal) || !Types.TryGetValue(Path.GetExtension(name), out var type))
            throw new WebErrors.NotFoundException($"no page file '{name}'");
        var stream = Self.GetManifestResourceStream($"wwwroot/{name}")
            ?? throw new WebErrors.NotFoundException($"no page file '{name}'");
        return Results.Stream(stream, type);
    }
}
