using System.Net;

namespace InSitu.Web;

/// <summary>How `insitu serve` was started: the folders it may read and write, and where it listens.</summary>
public sealed record WebOptions
{
    /// <summary>Datasets (manifests, images, segmentation folders).</summary>
    public required string Data { get; init; }

    /// <summary>Run directories; also where the server keeps its jobs and caches (.insitu-web/).</summary>
    public required string Runs { get; init; }

    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 8050;

    /// <summary>Required from every client when set (always set when listening beyond loopback).</summary>
    public string? Token { get; init; }

    /// <summary>Largest request body accepted (label images are the largest uploads).</summary>
    public long MaxUploadBytes { get; init; } = 32L << 20;

    /// <summary>Start the jobs left queued or running by a previous server (off in tests that check it by hand).</summary>
    public bool ResumeJobs { get; init; } = true;

    /// <summary>The segmentation workflow behind the annotator's Train, Suggest and Predict (none until it is wired).</summary>
    public Segmentation.ISegmentationService? Segmentation { get; init; }

    public bool IsLoopback => Host is "localhost" || (IPAddress.TryParse(Host, out var ip) && IPAddress.IsLoopback(ip));
}
