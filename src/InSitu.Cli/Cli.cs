using System.CommandLine;
using System.Reflection;
using InSitu.Demo;
using InSitu.Torch;
using InSitu.Training;
using Spectre.Console;

namespace InSitu.Cli;

public static class Cli
{
    public static string Version =>
        typeof(Cli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static RootCommand Build()
    {
        var root = new RootCommand("InSitu: train and explain deep models on microscopy images with few precise labels.");
        // Our --version reports the engine too, not just the assembly version.
        foreach (var v in root.Options.OfType<VersionOption>().ToList()) root.Options.Remove(v);
        var version = new Option<bool>("--version") { Description = "Show InSitu's version, the libtorch version, the device and the thread count" };
        root.Options.Add(version);
        root.SetAction(pr =>
        {
            if (pr.GetValue(version)) return Guard(PrintVersion);
            return root.Parse("--help").Invoke();
        });
        root.Subcommands.Add(DemoCommand());
        root.Subcommands.Add(DataCommands.Build(Guard));
        root.Subcommands.Add(SynthCommand.Build(Guard));
        return root;
    }

    /// <summary>Turns expected failures (bad input, missing files, engine errors) into one clear line and exit code 1.</summary>
    internal static int Guard(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is TorchException or IOException or ArgumentException or InvalidOperationException or DllNotFoundException or UnauthorizedAccessException or InvalidDataException)
        {
            AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
            return 1;
        }
    }

    private static int PrintVersion()
    {
        var (torch, opencv) = TorchRuntime.Versions();
        var device = TorchRuntime.DefaultDevice;
        Console.WriteLine($"InSitu {Version}");
        Console.WriteLine($"libtorch {torch}, OpenCV {opencv}");
        Console.WriteLine($"device: {device}{(device.Type == DeviceType.CPU ? (TorchRuntime.CpuHasBFloat16 ? " (bf16 capable)" : "") : $" ({TorchRuntime.CudaDeviceCount} GPU(s))")}");
        Console.WriteLine($"threads: {TorchRuntime.Threads}");
        return 0;
    }

    private static Command DemoCommand()
    {
        var cmd = new Command("demo", "Generate toy embryo images, train the paper's ResNet on them and write a run directory with report.html");
        var outDir = new Option<string>("--out") { Description = "Run directory", DefaultValueFactory = _ => "runs/demo" };
        var epochs = new Option<int>("--epochs") { Description = "Training epochs", DefaultValueFactory = _ => 8 };
        var seed = new Option<int>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 1 };
        var perClass = new Option<int>("--train-per-class") { Description = "Training images per class", DefaultValueFactory = _ => 80 };
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted run from its last checkpoint" };
        cmd.Options.Add(outDir);
        cmd.Options.Add(epochs);
        cmd.Options.Add(seed);
        cmd.Options.Add(perClass);
        cmd.Options.Add(resume);
        cmd.SetAction(pr => Guard(() =>
        {
            int e = pr.GetValue(epochs);
            if (e < 1) throw new ArgumentException("--epochs must be at least 1");
            if (pr.GetValue(perClass) < 2) throw new ArgumentException("--train-per-class must be at least 2");
            // The toy label is the stain's anterior-posterior position, so left-right flips would change it.
            var training = new TrainingConfig { Epochs = e, Seed = pr.GetValue(seed), Milestones = new[] { Math.Max(1, e * 2 / 3) }, FlipHorizontal = false };
            var demo = new EngineDemo { Log = m => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(m)}[/]") };
            EngineDemo.Result? result = null;
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .Start(ctx =>
                {
                    var tasks = new Dictionary<int, ProgressTask>();
                    demo.OnBatch = (epoch, batch, batches, loss, ips) =>
                    {
                        if (!tasks.TryGetValue(epoch, out var t))
                            tasks[epoch] = t = ctx.AddTask($"epoch {epoch + 1}/{e}", maxValue: batches);
                        t.Value = batch;
                        t.Description = $"epoch {epoch + 1}/{e}  loss {loss:F3}  {ips:F0} img/s";
                    };
                    result = demo.Run(new EngineDemo.Options(pr.GetValue(outDir)!, TrainPerClass: pr.GetValue(perClass), Seed: pr.GetValue(seed),
                        Resume: pr.GetValue(resume), Training: training));
                });
            var last = result!.History[^1];
            AnsiConsole.MarkupLine($"validation accuracy [bold]{result.ValidationAccuracy:P1}[/] after {last.Epoch} epochs ({last.ImagesPerSecond:F0} training images/s)");
            AnsiConsole.MarkupLine($"report: [link]{Markup.Escape(Path.Combine(result.RunDir, "report.html"))}[/]");
            return 0;
        }));
        return cmd;
    }
}
