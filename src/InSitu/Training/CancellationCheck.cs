namespace InSitu.Training;

/// <summary>
/// Ends training when <paramref name="token"/> is cancelled (a web request, Ctrl+C), between batches: the epoch in
/// progress is dropped, the last checkpoint stays, and the run resumes from it (<see cref="Trainer{TBatch}.Fit"/> with
/// resume). Added last, so the checkpoint of a finished epoch is written before the check.
/// </summary>
public sealed class CancellationCheck(CancellationToken token) : ITrainerCallback
{
    public void OnBatch(TrainerContext context, BatchProgress progress) => token.ThrowIfCancellationRequested();

    public void OnEpochEnd(TrainerContext context, EpochMetrics metrics) => token.ThrowIfCancellationRequested();
}
