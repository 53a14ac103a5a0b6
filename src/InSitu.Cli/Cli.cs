using System.CommandLine;
using System.Reflection;
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
        root.Subcommands.Add(StageCommands.Demo(Guard));
        root.Subcommands.Add(DataCommands.Build(Guard));
        root.Subcommands.Add(SynthCommand.Build(Guard));
        root.Subcommands.Add(StageCommands.Build(Guard));
        foreach (var c in InterpretCommands.Build(Guard)) root.Subcommands.Add(c);
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
}
