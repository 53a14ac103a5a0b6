using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using InSitu.Web.Endpoints;
using InSitu.Web.Jobs;
using InSitu.Web.Queue;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace InSitu.Web;

/// <summary>
/// `insitu serve`: the web app's services and request pipeline. The same two pieces serve the command line (Kestrel,
/// <see cref="Build"/>) and the tests (any host: <see cref="AddServices"/> and <see cref="UsePipeline"/>).
/// </summary>
public sealed class WebServer
{
    public const string TokenHeader = "X-InSitu-Token", TokenCookie = "insitu_token", CsrfHeader = "X-CSRF-Token";

    private WebServer()
    {
    }

    /// <summary>A new random access token (URL-safe, 256 bits).</summary>
    public static string NewToken() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static void AddServices(IServiceCollection services, WebOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.IsLoopback && string.IsNullOrEmpty(options.Token))
            throw new ArgumentException($"listening on {options.Host} (beyond this machine) needs an access token");
        services.AddSingleton(options);
        services.AddSingleton(new FileRoots(options.Data, options.Runs));
        services.AddRouting();
        // anti-forgery keys live in memory: nothing is written to the user's home, and a restarted server asks pages to reload
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        services.AddAntiforgery(a =>
        {
            a.HeaderName = CsrfHeader;
            a.Cookie.Name = "insitu_csrf";
            a.Cookie.SameSite = SameSiteMode.Strict;
        });
        services.ConfigureHttpJsonOptions(j => j.SerializerOptions.NumberHandling =
            System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals);
        services.AddSingleton<JobManager>();
        services.AddSingleton<StageQueueService>();
        services.AddSingleton<IJobKind, StageTrainJob>();
        services.AddSingleton<IJobKind, StageRankJob>();
        services.AddSingleton<IJobKind, StagePredictJob>();
        services.AddSingleton<Segmentation.SegmentationProjects>();
        if (options.Segmentation is { } seg) services.AddSingleton(seg);
        foreach (var kind in options.Segmentation?.JobKinds ?? []) services.AddSingleton<IJobKind>(kind);
    }

    /// <param name="extra">Endpoints the host adds to the app's own (tests add failing ones).</param>
    public static void UsePipeline(IApplicationBuilder app, Action<IEndpointRouteBuilder>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.ApplicationServices.GetRequiredService<WebOptions>();
        var log = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("InSitu.Web");
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context).ConfigureAwait(false);
            }
            catch (Exception e) when (!context.RequestAborted.IsCancellationRequested)
            {
                var (status, message) = WebErrors.Classify(e, log);
                if (context.Response.HasStarted) return;
                context.Response.Clear();
                await WriteError(context, status, message).ConfigureAwait(false);
            }
        });
        app.Use(async (context, next) =>
        {
            var h = context.Response.Headers;
            h.XContentTypeOptions = "nosniff";
            h["Referrer-Policy"] = "no-referrer";
            h.ContentSecurityPolicy = context.Request.Path.StartsWithSegments("/files")
                // reports are documents: their inline styles and SVG, images beside them, no script at all
                ? "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox"
                : "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self'; " +
                  "connect-src 'self'; frame-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'";
            await next(context).ConfigureAwait(false);
        });
        app.Use(async (context, next) =>
        {
            if (await Admit(context, options).ConfigureAwait(false)) await next(context).ConfigureAwait(false);
        });
        app.Use(async (context, next) =>
        {
            // the upload limit holds whatever server runs the app (Kestrel enforces it too): a declared length is refused
            // before reading, an undeclared one when the body grows past it
            long limit = options.MaxUploadBytes;
            if (context.Request.ContentLength > limit)
            {
                await WriteError(context, StatusCodes.Status413PayloadTooLarge,
                    $"the request body is larger than the server's limit of {limit} bytes").ConfigureAwait(false);
                return;
            }
            context.Request.Body = new LimitedStream(context.Request.Body, limit);
            await next(context).ConfigureAwait(false);
        });
        app.Use(async (context, next) =>
        {
            if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
            {
                var forgery = context.RequestServices.GetRequiredService<IAntiforgery>();
                try
                {
                    await forgery.ValidateRequestAsync(context).ConfigureAwait(false);
                }
                catch (AntiforgeryValidationException)
                {
                    await WriteError(context, StatusCodes.Status400BadRequest,
                        "missing or wrong anti-forgery token: reload the page and try again").ConfigureAwait(false);
                    return;
                }
            }
            await next(context).ConfigureAwait(false);
        });
        app.UseRouting();
        app.UseEndpoints(e =>
        {
            Map(e);
            extra?.Invoke(e);
        });
    }

    private static void Map(IEndpointRouteBuilder e)
    {
        PageEndpoints.Map(e);
        JobEndpoints.Map(e);
        RunEndpoints.Map(e);
        DatasetEndpoints.Map(e);
        QueueEndpoints.Map(e);
        SegmentationEndpoints.Map(e);
        TermEndpoints.Map(e);
    }

    /// <summary>
    /// Lets a request through, or answers it: on loopback only requests addressed to this machine by name (no DNS
    /// rebinding); with a token, only requests that carry it (header or cookie). A page opened with ?token= gets the
    /// cookie and is sent on without the token in its address.
    /// </summary>
    private static async Task<bool> Admit(HttpContext context, WebOptions options)
    {
        if (options.IsLoopback && !IsLocalHost(context.Request.Host.Host))
        {
            await WriteError(context, StatusCodes.Status400BadRequest, "this server answers requests to localhost only")
                .ConfigureAwait(false);
            return false;
        }
        if (options.Token is not { Length: > 0 } token) return true;
        var query = context.Request.Query["token"].ToString();
        if (query.Length > 0 && Same(query, token) && HttpMethods.IsGet(context.Request.Method))
        {
            context.Response.Cookies.Append(TokenCookie, token, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Strict,
                Path = "/",
                IsEssential = true,
            });
            var rest = context.Request.Query.Where(q => q.Key != "token")
                .Select(q => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(q.Value.ToString())}").ToList();
            var kept = rest.Count > 0 ? "?" + string.Join('&', rest) : "";
            context.Response.Redirect(context.Request.PathBase + context.Request.Path + kept);
            return false;
        }
        var given = context.Request.Headers[TokenHeader].ToString();
        if (given.Length == 0) given = context.Request.Cookies[TokenCookie] ?? "";
        if (given.Length > 0 && Same(given, token)) return true;
        await WriteError(context, StatusCodes.Status401Unauthorized,
            "this server needs its access token: open the address `insitu serve` printed (it ends in ?token=...)").ConfigureAwait(false);
        return false;
    }

    private static bool IsLocalHost(string host) =>
        host is "localhost" || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    private static bool Same(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    /// <summary>Errors are JSON for the pages' scripts: {"error": "one line"}.</summary>
    public static Task WriteError(HttpContext context, int status, string message)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new { error = message }));
    }

    /// <summary>The Kestrel server of `insitu serve`, not started yet.</summary>
    public static WebApplication Build(WebOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            EnvironmentName = Environments.Production,
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(c => c.SingleLine = true);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        // a port in use is reported by `insitu serve` in one line; the host would log it with its trace first
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        builder.WebHost.UseKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxUploadBytes;
            k.AddServerHeader = false;
            if (options.Host == "localhost") k.ListenLocalhost(options.Port);
            else k.Listen(IPAddress.Parse(options.Host), options.Port);
        });
        AddServices(builder.Services, options);
        var app = builder.Build();
        UsePipeline(app);
        var jobs = app.Services.GetRequiredService<JobManager>();
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            if (options.ResumeJobs) jobs.ResumeAfterRestart();
        });
        return app;
    }

    /// <summary>The address a started server listens on (the real port when 0 was asked for).</summary>
    public static string Address(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        return addresses?.FirstOrDefault() ?? throw new InvalidOperationException("the server has no address yet");
    }
}
