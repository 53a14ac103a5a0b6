using InSitu.Data;
using InSitu.Torch;

namespace InSitu.Workflows.Terms;

/// <summary>
/// `terms evaluate`: a trained model's Table 2 figures on a manifest: per task, the images of its range (all images
/// for an "all" model) in the test split (every such image when the manifest has no split), each image labelled with
/// its bag's terms.
/// </summary>
public static class TermEvaluator
{
    public static TermOutcome Evaluate(string modelPath, string manifestPath, TermsProgress? progress = null)
    {
        var (info, folder) = TermsModelInfo.Load(modelPath);
        var manifest = TermTaskSet.WithTerms(Manifest.Load(manifestPath), info.Config);
        if (!manifest.Rows.Any(r => r.Terms is { Count: > 0 }))
            throw new InvalidDataException($"'{manifestPath}' has no CV terms (column 'terms'): evaluation compares predictions with them");
        var terms = TermTaskSet.InheritedTerms(manifest);
        bool hasSplits = manifest.Rows.Any(r => r.Split is not null);
        var rowsOf = info.Tasks.ToDictionary(t => t.Name, t => Enumerable.Range(0, manifest.Rows.Count)
            .Where(i => (t.Range is null || manifest.Rows[i].Range == t.Range)
                && (!hasSplits || manifest.Rows[i].Split == "test")).ToList());
        var all = rowsOf.Values.SelectMany(r => r).Distinct().Order().ToList();
        if (all.Count == 0)
            throw new InvalidDataException($"'{manifestPath}' has no {(hasSplits ? "test " : "")}images of the model's tasks " +
                $"({string.Join(", ", info.Tasks.Select(t => t.Name))})");
        var scores = TermScoring.Score(info, folder, manifest, all, progress, out _);
        var metrics = new List<TermMetrics>();
        var kept = new List<TaskScores>();
        foreach (var task in info.Tasks)
        {
            var rows = rowsOf[task.Name].Where(scores.ContainsKey).ToList();
            if (rows.Count == 0) continue;
            var s = rows.Select(r => scores[r]).ToArray();
            var truth = rows.Select(r => task.Terms.Select(t => terms[r].Contains(t)).ToArray()).ToArray();
            for (int k = 0; k < task.Terms.Length; k++)
                metrics.Add(TermMetrics.Of(task.Name, task.Terms[k], s.Select(x => x[k]).ToList(), truth.Select(x => x[k]).ToList()));
            kept.Add(new TaskScores(task.Name, task.Terms, s, truth));
        }
        return new TermOutcome(info.Method, info.Seed, string.Join("+", info.Taps), metrics, kept, new(), 0);
    }
}

/// <summary>A trained model run over images: features batch by batch, then the classifiers of each image's task.</summary>
public static class TermScoring
{
    /// <summary>
    /// Scores of each row (by manifest index) for the terms of its task; rows whose image cannot be read are left out
    /// and reported through <paramref name="bad"/> when given (otherwise they fail the run, naming the file).
    /// </summary>
    public static Dictionary<int, double[]> Score(TermsModelInfo info, string folder, Manifest manifest, IReadOnlyList<int> rows,
        TermsProgress? progress, out List<(int row, string reason)> failures, Func<int, TermsModelTask?>? taskOf = null,
            bool skipBad = false)
    {
        using var featurizer = info.Featurizer(folder);
        var classifiers = info.Classifiers(folder);
        var bad = new System.Collections.Concurrent.ConcurrentBag<(int, string)>();
        try
        {
            TermsModelTask? DefaultTask(int row) => info.Tasks.FirstOrDefault(t => t.Range is null || t.Range == manifest.Rows[row].Range);
            var pick = taskOf ?? DefaultTask;
            var loader = new ImageBatchLoader(manifest, featurizer.Loader, rows: rows)
            {
                BadImage = skipBad ? (row, e) => bad.Add((row, e.Message)) : null,
            };
            var result = new Dictionary<int, double[]>();
            long done = 0;
            foreach (var batch in loader.Epoch(0))
                using (batch)
                using (TorchRuntime.NewDisposeScope())
                {
                    if (batch.Rows.Length > 0)
                    {
                        var features = featurizer.Features(batch.Images)[featurizer.Sets[0]];
                        foreach (var (task, classifier) in classifiers)
                        {
                            var mine = Enumerable.Range(0, batch.Rows.Length).Where(i => pick(batch.Rows[i]) == task).ToArray();
                            if (mine.Length == 0) continue;
                            var s = classifier.Scores(features.IndexSelect(0, Tensor.FromArray(mine.Select(i => (long)i).ToArray(),
                                mine.Length)));
                            for (int k = 0; k < mine.Length; k++) result[batch.Rows[mine[k]]] = s[k];
                        }
                    }
                    done += batch.Rows.Length;
                    progress?.Invoke("predicting", done, rows.Count, "");
                }
            failures = bad.OrderBy(b => b.Item1).Select(b => (b.Item1, b.Item2)).ToList();
            return result;
        }
        finally
        {
            foreach (var (_, c) in classifiers) c.Dispose();
        }
    }
}
