using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using InSitu.Web;
using InSitu.Web.Segmentation;
using Microsoft.Extensions.Hosting;

namespace InSitu.Cli;

/// <summary>`insitu serve`: the web app (review runs, browse datasets, label stages, paint segmentation labels, train).</summary>
public static class ServeCommand
{
    public static Command Build()
    {
        var cmd = new Command("serve",
            "Start the web app on this machine: runs and reports, dataset browser, stage label queue, segmentation annotator, jobs");
        var data = new Option<string>("--data")
        {
            Description = "Folder of datasets (manifests, images) the app may read and label",
            DefaultValueFactory = _ => "data",
        };
        var runs = new Option<string>("--runs")
        {
            Description = "Folder of run directories; the app keeps its jobs and caches in RUNS/.insitu-web",
            DefaultValueFactory = _ => "runs",
        };
        var port = new Option<int>("--port") { Description = "Port (0 picks a free one)", DefaultValueFactory = _ => 8050 };
        var host = new Option<string>("--host")
        {
            Description = "Address to listen on; 127.0.0.1 (the default) is this machine only, anything else (e.g. 0.0.0.0) " +
                "requires the access token printed at start",
            DefaultValueFactory = _ => "127.0.0.1",
        };
        foreach (var o in new Option[] { data, runs, port, host }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var h = pr.GetValue(host)!;
            if (h != "localhost" && !IPAddress.TryParse(h, out _))
                throw new ArgumentException($"--host '{h}' is not an IP address (use 127.0.0.1, 0.0.0.0 or this machine's address)");
            int p = pr.GetValue(port);
            if (p is < 0 or > 65535) throw new ArgumentException($"--port {p} is outside 0..65535");
            var dataDir = Path.GetFullPath(pr.GetValue(data)!);
            var runsDir = Path.GetFullPath(pr.GetValue(runs)!);
            if (!Directory.Exists(dataDir) && pr.GetResult(data) is { Implicit: false })
                throw new DirectoryNotFoundException($"--data folder '{dataDir}' does not exist");
            var options = SegmentationWorkflow.Wire(new WebOptions { Data = dataDir, Runs = runsDir, Host = h, Port = p });
            if (!options.IsLoopback) options = options with { Token = WebServer.NewToken() };
            var app = WebServer.Build(options);
            try
            {
                app.Start();
            }
            catch (IOException e) when (e.InnerException is SocketException || e.Message.Contains("address already in use",
                StringComparison.OrdinalIgnoreCase))
            {
                throw new IOException($"cannot listen on {h}:{p}: the port is in use (choose another with --port)");
            }
            var address = new Uri(WebServer.Address(app));
            var shown = options.IsLoopback ? address.ToString()
                : $"http://{(h == "0.0.0.0" ? Dns.GetHostName() : h)}:{address.Port}/?token={options.Token}";
            Console.WriteLine($"InSitu web app: {shown}");
            Console.WriteLine($"data: {dataDir}{(Directory.Exists(dataDir) ? "" : " (missing; datasets are found under runs too)")}");
            Console.WriteLine($"runs: {runsDir}");
            if (!options.IsLoopback)
                Console.WriteLine("listening beyond this machine: every client needs the token in the address above");
            Console.WriteLine("Ctrl+C stops the server (running jobs continue from their checkpoints at the next start)");
            app.WaitForShutdown();
            app.DisposeAsync().AsTask().GetAwaiter().GetResult();
            return 0;
        });
        return cmd;
    }
}
