using System.Globalization;
using System.Runtime.InteropServices;

namespace InSitu.Cli;

/// <summary>
/// Log files of unexpected failures: the full exception with its stack trace, the command line, InSitu's version and
/// the time, under $XDG_STATE_HOME/insitu/logs (default ~/.local/state/insitu/logs), else the system temp folder.
/// </summary>
public static class CrashLog
{
    /// <summary>The folders to try, best first, given a way to read environment variables.</summary>
    public static IReadOnlyList<string> Folders(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var folders = new List<string>();
        // the XDG spec ignores a relative $XDG_STATE_HOME
        if (environment("XDG_STATE_HOME") is { Length: > 0 } state && Path.IsPathFullyQualified(state))
            folders.Add(Path.Combine(state, "insitu", "logs"));
        else if (environment("HOME") is { Length: > 0 } home && Path.IsPathFullyQualified(home))
            folders.Add(Path.Combine(home, ".local", "state", "insitu", "logs"));
        folders.Add(Path.Combine(Path.GetTempPath(), "insitu", "logs"));
        return folders;
    }

    /// <summary>Writes the log into the first writable folder of <see cref="Folders"/> and returns its path.</summary>
    public static string Write(Exception exception, IReadOnlyList<string> args, string version)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(args);
        var now = DateTimeOffset.Now;
        var text = string.Join('\n',
            $"InSitu {version}",
            $"time: {now.ToString("yyyy-MM-dd HH:mm:ss.fff zzz", CultureInfo.InvariantCulture)}",
            $"command: insitu {string.Join(' ', args.Select(Quote))}",
            $"working directory: {Environment.CurrentDirectory}",
            $"runtime: {RuntimeInformation.FrameworkDescription} on {RuntimeInformation.OSDescription} " +
                $"({RuntimeInformation.ProcessArchitecture})",
            "",
            exception.ToString(),
            "");
        var name = $"insitu-{now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}-{Environment.ProcessId}-" +
            $"{Guid.NewGuid().ToString("N")[..8]}.log";
        Exception? last = null;
        foreach (var folder in Folders(Environment.GetEnvironmentVariable))
        {
            try
            {
                Directory.CreateDirectory(folder);
                var path = Path.Combine(folder, name);
                File.WriteAllText(path, text);
                return path;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                last = e;
            }
        }
        throw last!;
    }

    /// <summary>The argument as a POSIX shell would need it, so the logged command line can be pasted back.</summary>
    private static string Quote(string arg) =>
        arg.Length > 0 && !arg.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '\\' or '$')
            ? arg
            : $"'{arg.Replace("'", "'\\''", StringComparison.Ordinal)}'";
}
