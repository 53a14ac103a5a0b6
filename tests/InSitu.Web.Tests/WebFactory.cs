using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace InSitu.Web.Tests;

/// <summary>
/// The web app in the ASP.NET Core test host (the test assembly is the entry point the factory needs), built from the
/// same <see cref="WebServer.AddServices"/> and
/// <see cref="WebServer.UsePipeline"/> as `insitu serve`; <paramref name="extra"/> adds endpoints a test needs.
/// </summary>
public sealed class WebFactory(WebOptions options, Action<IEndpointRouteBuilder>? extra = null) : WebApplicationFactory<WebTestData>
{
    protected override IHostBuilder CreateHostBuilder() =>
        Host.CreateDefaultBuilder().ConfigureWebHost(web =>
        {
            web.UseSetting(WebHostDefaults.ContentRootKey, AppContext.BaseDirectory);
            web.ConfigureServices(s => WebServer.AddServices(s, options));
            web.Configure(app => WebServer.UsePipeline(app, extra));
        });

    protected override void ConfigureWebHost(IWebHostBuilder builder) =>
        builder.UseEnvironment("Production").UseContentRoot(AppContext.BaseDirectory);

    public IServiceProvider Provider => Services;
}
