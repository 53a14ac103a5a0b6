using System.CommandLine;
using System.CommandLine.Parsing;
using System.Reflection;
using System.Text.Json;
using InSitu.Common;
using InSitu.Torch;
using InSitu.Training;

namespace InSitu.Cli;

/// <summary>
/// The `insitu` command. Every failure is one line on stderr starting with "error: ": bad input (a missing file, a
/// malformed manifest or config, an unknown option or command) exits with 1; anything unexpected exits with 2 and
/// names a log file holding the full trace. No stack trace ever reaches the console.
/// </summary>
public static class Cli
{
    public static string Version =>
        typeof(Cli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static RootCommand Build()
    {
        var root = new RootCommand("InSitu: train and explain deep models on microscopy images with few precise labels.");
        // Our --version reports the engine too, not just the assembly version.
        foreach (var v in root.Options.OfType<VersionOption>().ToList()) root.Options.Remove(v);
        var version = new Option<bool>("--version")
        {
            Description = "Show InSitu's version, the libtorch version, the device and the thread count"
        };
        root.Options.Add(version);
        root.SetAction(pr => pr.GetValue(version) ? PrintVersion() : root.Parse("--help").Invoke());
        root.Subcommands.Add(StageCommands.Demo());
        root.Subcommands.Add(DataCommands.Build());
        root.Subcommands.Add(SynthCommand.Build());
        root.Subcommands.Add(StageCommands.Build());
        root.Subcommands.Add(BagsCommands.Build());
        foreach (var c in InterpretCommands.Build()) root.Subcommands.Add(c);
        root.Subcommands.Add(ModelCommands.Build());
        root.Subcommands.Add(WeightsCommands.Build());
        root.Subcommands.Add(ServeCommand.Build());
        root.Subcommands.Add(TermsCommands.Build());
        return root;
    }

    /// <summary>Runs `insitu <paramref name="args"/>` and returns the exit code.</summary>
    public static int Run(IReadOnlyList<string> args) => Run(Build(), args);

    /// <summary>
    /// Parses <paramref name="args"/> against <paramref name="root"/> and invokes the chosen command. Parse errors
    /// are reported one per line (exit 1); an exception from the command is reported by <see cref="Report"/>.
    /// </summary>
    public static int Run(RootCommand root, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(args);
        try
        {
            var parsed = root.Parse(args);
            var errors = ParseErrors(parsed);
            if (errors.Count > 0)
            {
                foreach (var e in errors) Console.Error.WriteLine($"error: {OneLine(e)}");
                return 1;
            }
            // Without the default handler an exception leaves Invoke as it is, instead of being printed with its trace.
            return parsed.Invoke(new InvocationConfiguration
            {
                EnableDefaultExceptionHandler = false,
                Output = Console.Out,
                Error = Console.Error,
            });
        }
        catch (Exception e)
        {
            return Report(e, args);
        }
    }

    /// <summary>
    /// What is wrong with the command line, one message per problem. Help (--help, -h) overrides missing arguments and
    /// options, so `insitu stage train --help` shows help, but not an unknown command: `insitu frobnicate extract
    /// --help` is an error, not the top-level help.
    /// </summary>
    private static List<string> ParseErrors(ParseResult parsed)
    {
        // help clears the parse errors but leaves the unmatched tokens
        var unmatched = parsed.UnmatchedTokens;
        if (unmatched.Count == 0 && parsed.Errors.Count == 0) return [];
        var command = parsed.CommandResult.Command;
        if (unmatched.Count > 0 && command.Subcommands.Count > 0 && command.Arguments.Count == 0 && !unmatched[0].StartsWith('-'))
        {
            // the tokens after an unknown command are its arguments: one error names the command
            return [$"unknown command '{unmatched[0]}' for '{CommandPath(parsed.CommandResult)}' " +
                $"(commands: {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))})"];
        }
        if (parsed.Errors.Count > 0) return parsed.Errors.Select(e => e.Message).Distinct().ToList();
        return unmatched.Select(t => $"Unrecognized command or argument '{t}'.").ToList();
    }

    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is CommandResult c; r = c.Parent)
            names.Insert(0, c.Parent is null ? "insitu" : c.Command.Name);
        return string.Join(' ', names);
    }

    /// <summary>
    /// Prints the one-line error for <paramref name="exception"/> and returns the exit code: 1 for bad input or a
    /// broken setup, which the message explains; 2 for anything else, whose full trace goes to a log file.
    /// </summary>
    public static int Report(Exception exception, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var e = Failures.Unwrap(exception);
        if (Failures.IsInputError(e))
        {
            Console.Error.WriteLine($"error: {OneLine(e.Message)}");
            return 1;
        }
        string details;
        try
        {
            details = $"details: {CrashLog.Write(exception, args, Version)}";
        }
        catch (Exception logError) when (logError is IOException or UnauthorizedAccessException)
        {
            details = $"no log written: {OneLine(logError.Message)}";
        }
        Console.Error.WriteLine($"error: unexpected {e.GetType().Name}: {OneLine(e.Message)} ({details})");
        return 2;
    }

    /// <summary>The text on one line: line breaks (e.g. of libtorch's messages) become spaces.</summary>
    internal static string OneLine(string text) => Failures.OneLine(text);

    private static int PrintVersion()
    {
        var (torch, opencv) = TorchRuntime.Versions();
        var device = TorchRuntime.DefaultDevice;
        Console.WriteLine($"InSitu {Version}");
        Console.WriteLine($"libtorch {torch}, OpenCV {opencv}");
        Console.WriteLine($"device: {device}{(device.Type == DeviceType.CPU
            ? (TorchRuntime.CpuHasBFloat16 ? " (bf16 capable)" : "")
            : $" ({TorchRuntime.CudaDeviceCount} GPU(s))")}");
        Console.WriteLine($"threads: {TorchRuntime.Threads}");
        Console.WriteLine($"BLAS: {TorchRuntime.Blas}");
        var (fused, info) = InferencePlan.Availability;
        Console.WriteLine(fused ? $"fused inference: {info}" : $"fused inference: unavailable ({info})");
        return 0;
    }
}
