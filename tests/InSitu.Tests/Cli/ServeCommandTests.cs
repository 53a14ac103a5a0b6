using System.Diagnostics;
using System.Net;

namespace InSitu.Tests.Cli;

public class ServeCommandTests : TempFolderTest
{
    [Fact]
    public void BadOptionsAreOneLineErrors()
    {
        Assert.Contains("not an IP address", CliRunner.Fails(1, CliRunner.Run("serve", "--host", "my machine", "--runs", dir)));
        Assert.Contains("outside 0..65535", CliRunner.Fails(1, CliRunner.Run("serve", "--port", "70000", "--runs", dir)));
        Assert.Contains("does not exist", CliRunner.Fails(1, CliRunner.Run("serve", "--data", Path.Combine(dir, "none"), "--runs", dir)));
    }

    /// <summary>
    /// After `make demo` there is no data/ folder (the demo's data is under runs/): `insitu serve` with the default --data
    /// must start and find the datasets under runs, not refuse the missing default.
    /// </summary>
    [Fact]
    [Trait("Category", "Slow")]
    public async Task TheDefaultDataFolderMayBeMissing()
    {
        var cli = Path.Combine(TestPaths.Repository, "src", "InSitu.Cli", "bin", "Release", "net10.0", "InSitu.Cli.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = dir,
            ArgumentList = { cli, "serve", "--port", "0" },
        };
        using var server = Process.Start(start)!;
        try
        {
            var first = await server.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.StartsWith("InSitu web app: http://", first, StringComparison.Ordinal);
            Assert.False(Directory.Exists(Path.Combine(dir, "data")));
        }
        finally
        {
            if (!server.HasExited) server.Kill(entireProcessTree: true);
        }
    }

    /// <summary>`insitu serve` as a user starts it: the printed address answers, Ctrl+C (SIGINT) stops it cleanly.</summary>
    [Theory]
    [Trait("Category", "Slow")]
    [InlineData("127.0.0.1")]
    [InlineData("0.0.0.0")]
    public async Task ServePrintsItsAddressAndStopsOnCtrlC(string host)
    {
        var cli = Path.Combine(TestPaths.Repository, "src", "InSitu.Cli", "bin", "Release", "net10.0", "InSitu.Cli.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList = { cli, "serve", "--runs", Path.Combine(dir, "runs"), "--data", dir, "--port", "0", "--host", host },
        };
        using var server = Process.Start(start)!;
        try
        {
            var first = await server.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.StartsWith("InSitu web app: http://", first, StringComparison.Ordinal);
            var url = new Uri(first!["InSitu web app: ".Length..]);
            // the address may name this machine by its host name: the test talks to loopback only
            var local = new Uri($"http://127.0.0.1:{url.Port}/api/session");
            using var http = new HttpClient();
            if (host == "0.0.0.0")
            {
                var token = url.Query["?token=".Length..];
                Assert.True(token.Length >= 40);
                Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(local)).StatusCode);
                var request = new HttpRequestMessage(HttpMethod.Get, local);
                request.Headers.Add("X-InSitu-Token", token);
                Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(request)).StatusCode);
            }
            else
            {
                Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(local)).StatusCode);
            }
            Assert.True(Directory.Exists(Path.Combine(dir, "runs", ".insitu-web", "jobs")));
            using (var kill = Process.Start("kill", ["-INT", server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                await kill.WaitForExitAsync();
            await server.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, server.ExitCode);
        }
        finally
        {
            if (!server.HasExited) server.Kill(entireProcessTree: true);
        }
    }
}
