using System.Reflection;
using System.Text.Json;
using InSitu.Torch;

namespace InSitu.Common;

/// <summary>
/// How a failure is told to a user, the same in the command line and the web app: bad input (the message says what to
/// fix) or a bug (one line, the trace to a log), the cause found under the wrappers, the message on one line.
/// </summary>
public static class Failures
{
    /// <summary>The exception that says what went wrong, under the wrappers of tasks, reflection and type initialisers.</summary>
    public static Exception Unwrap(Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        while (e is AggregateException or TargetInvocationException or TypeInitializationException && e.InnerException is { } inner)
            e = inner;
        return e;
    }

    /// <summary>Failures whose message tells the user what to fix. An ArgumentNullException is a bug, not bad input.</summary>
    public static bool IsInputError(Exception e) =>
        e is TorchException or IOException or InvalidDataException or InvalidOperationException or UnauthorizedAccessException
            or DllNotFoundException or JsonException or FormatException
        || e is ArgumentException and not ArgumentNullException;

    /// <summary>The text on one line: line breaks (e.g. of libtorch's messages) become spaces.</summary>
    public static string OneLine(string text) =>
        string.Join(' ', (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
