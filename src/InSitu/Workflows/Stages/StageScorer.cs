using System.Collections.Concurrent;
using InSitu.Data;
using InSitu.Models;
using InSitu.Torch;

namespace InSitu.Workflows.Stages;

/// <summary>One image's stage probabilities (stages 4..17 in order) and its pooled features F(x).</summary>
public sealed record StageScore(float[] Probabilities, float[] Features)
{
    public PreciseStage Best => PreciseStage.FromClass(Array.IndexOf(Probabilities, Probabilities.Max()));
}

/// <summary>
/// A trained stage model held in memory for interactive use (the web app's label queue and image pages): the
/// probabilities `stage predict` writes, and the features F(x) the similarity loss reads, for chosen manifest rows,
/// batch by batch. An image that cannot be read is left out and listed, as `stage predict` does.
/// </summary>
public sealed class StageScorer : IDisposable
{
    private readonly ResNet _net;

    public StageScorer(string modelPath)
    {
        (_net, Info) = StageModelInfo.Load(modelPath);
        _net.Eval();
    }

    public StageModelInfo Info { get; }

    /// <param name="progress">Called after each batch with (images done, images asked for).</param>
    public (Dictionary<int, StageScore> scores, List<(int row, string reason)> failures) Score(Manifest manifest,
        IReadOnlyList<int> rows, Action<int, int>? progress = null, CancellationToken cancel = default)
    {
        var scores = new Dictionary<int, StageScore>();
        var bad = new ConcurrentBag<(int row, string reason)>();
        if (rows.Count == 0) return (scores, []);
        var loader = new ImageBatchLoader(manifest, Info.Config.Loader(), rows: rows) { BadImage = (row, e) => bad.Add((row, e.Message)) };
        using var inference = Autograd.InferenceMode();
        int done = 0;
        foreach (var batch in loader.Epoch(0, cancel))
            using (batch)
            using (TorchRuntime.NewDisposeScope())
            {
                cancel.ThrowIfCancellationRequested();
                done += batch.Rows.Length;
                if (batch.Rows.Length > 0)
                {
                    var f = _net.Features(batch.Images);
                    var p = _net.Head.Forward(f).Softmax(1).ToFloatArray();
                    var features = f.ToFloatArray();
                    int d = (int)f.Size(1);
                    for (int i = 0; i < batch.Rows.Length; i++)
                        scores[batch.Rows[i]] = new StageScore(p.AsSpan(i * PreciseStage.Count, PreciseStage.Count).ToArray(),
                            features.AsSpan(i * d, d).ToArray());
                }
                progress?.Invoke(done + bad.Count, rows.Count);
            }
        return (scores, bad.OrderBy(b => b.row).ToList());
    }

    public void Dispose() => _net.Dispose();
}
