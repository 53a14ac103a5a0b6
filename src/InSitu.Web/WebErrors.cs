using InSitu.Common;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace InSitu.Web;

/// <summary>
/// What a client is told when something fails: bad input is one line saying what to fix (400), something missing
/// is 404, anything else a one-line "unexpected" message whose trace goes to the server's log only. No stack trace
/// ever reaches a response.
/// </summary>
public static partial class WebErrors
{
    /// <summary>Thrown by endpoints for a request that names nothing the server has: answered 404.</summary>
    public sealed class NotFoundException(string message) : Exception(message);

    /// <summary>A feature whose workflow is not wired into this server: answered 501 with what does work.</summary>
    public sealed class NotWiredException(string message) : Exception(message);

    public static (int status, string message) Classify(Exception exception, ILogger log)
    {
        var e = Failures.Unwrap(exception);
        if (e is NotFoundException) return (StatusCodes.Status404NotFound, OneLine(e.Message));
        if (e is NotWiredException) return (StatusCodes.Status501NotImplemented, OneLine(e.Message));
        if (e is BadHttpRequestException bad) return (bad.StatusCode, OneLine(bad.Message));
        if (Failures.IsInputError(e)) return (StatusCodes.Status400BadRequest, OneLine(e.Message));
        Unexpected(log, exception, e.GetType().Name);
        return (StatusCodes.Status500InternalServerError,
            $"unexpected {e.GetType().Name}: {OneLine(e.Message)} (the server's log has the details)");
    }

    /// <summary>A failed job's one-line error (input errors as they are, others logged with their trace).</summary>
    public static string Describe(Exception exception, ILogger log) => Classify(exception, log).message;

    [LoggerMessage(Level = LogLevel.Error, Message = "unexpected {Type}")]
    private static partial void Unexpected(ILogger log, Exception exception, string type);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{What}: {Message}")]
    public static partial void Warn(ILogger log, string what, string message);

    public static string OneLine(string text) => Failures.OneLine(text);
}
