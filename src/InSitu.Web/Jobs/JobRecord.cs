namespace InSitu.Web.Jobs;

public enum JobState { Queued, Running, Succeeded, Failed, Cancelled }

/// <summary>One epoch of a training job's curve: a phase (a run sub-folder with its own curve.json) and its figures.</summary>
public sealed record CurvePoint(string Phase, int Epoch, double TrainLoss, double TrainAccuracy, double Validation);

/// <summary>
/// A background job as it is kept on disk (runs/.insitu-web/jobs/ID.json): what to run, with which parameters, where
/// it stands, and the curve so far. A server that restarts reads these back and continues the unfinished ones.
/// </summary>
public sealed class JobRecord
{
    public string Id { get; set; } = "";
    public string Kind { get; set; } = "";
    /// <summary>The data folder the job works on: one job at a time per folder.</summary>
    public string Lane { get; set; } = "";
    public string Title { get; set; } = "";
    public Dictionary<string, string> Parameters { get; set; } = new();
    public JobState State { get; set; }
    public DateTime Created { get; set; }
    public DateTime? Started { get; set; }
    public DateTime? Finished { get; set; }
    public string? Error { get; set; }
    /// <summary>The next start continues from the job's checkpoints instead of starting afresh.</summary>
    public bool Resume { get; set; }
    public int Attempts { get; set; }
    public Dictionary<string, string> Result { get; set; } = new();
    public List<CurvePoint> Curve { get; set; } = new();

    public bool IsFinished => State is JobState.Succeeded or JobState.Failed or JobState.Cancelled;

    public JobRecord Copy() => new()
    {
        Id = Id,
        Kind = Kind,
        Lane = Lane,
        Title = Title,
        Parameters = new(Parameters),
        State = State,
        Created = Created,
        Started = Started,
        Finished = Finished,
        Error = Error,
        Resume = Resume,
        Attempts = Attempts,
        Result = new(Result),
        Curve = new(Curve),
    };
}

/// <summary>What a client watching a job is told: state changes, progress, new curve points and log lines.</summary>
public sealed record JobEvent(long Seq, string Type, object Data);

/// <summary>A kind of background job (training, ranking, prediction). <see cref="Run"/> runs on its own thread.</summary>
public interface IJobKind
{
    string Name { get; }

    /// <summary>Does the work; throws <see cref="OperationCanceledException"/> when <see cref="JobContext.Cancel"/> fires.</summary>
    void Run(JobContext context);
}
