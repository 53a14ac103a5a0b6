using System.Globalization;
using System.Text;
using InSitu.Data;
using InSitu.Evaluation;
using InSitu.Reports;
using InSitu.Torch;

namespace InSitu.Workflows.Stages;

/// <summary>
/// Runs precise-stage methods on one dataset over several seeds and writes the run directory: config.json,
/// per-seed results (seed-N/), comparison.json and comparison.md (the paper's Table II form: accuracy per stage and
/// their mean, mean +- std over seeds), and report.html with tables, confusion matrices and training curves.
/// </summary>
public sealed class StageComparison
{
    public sealed record MethodSummary(
        string Method, double[] PerStageMean, double[] PerStageStd, MeanStd MeanPerStage, MeanStd Overall, MeanStd ErrorsInsideRange,
        MeanStd WithinOneStage, MeanStd? SimilarityMeanPerStage, List<double> MeanPerStageBySeed, double Seconds);

    public StageProgress? Progress { get; set; }
    public Action<string>? Log { get; set; }

    public List<MethodSummary> Run(Manifest manifest, StageConfig config, IReadOnlyList<StageMethod> methods, int seeds,
        string outDir, bool resume)
    {
        config.Validate();
        if (methods.Count == 0) throw new ArgumentException($"no method given: use one or more of {string.Join(", ", StageMethods.Names)}");
        if (seeds < 1) throw new ArgumentException("--seeds must be at least 1");
        var run = new RunDirectory(outDir);
        run.WriteJson("config.json", new { config, methods = methods.Select(m => m.Name), seeds, manifest = manifest.BaseDirectory });
        var outcomes = new List<(MethodOutcome outcome, StageEvaluation eval, StageEvaluation? similarity)>();
        Manifest? firstTest = null;
        bool needCoarse = methods.Any(m => m.NeedsRangeImages);
        var cache = new DecodedImageCache();
        for (int seed = 1; seed <= seeds; seed++)
        {
            var data = StageData.Load(manifest, config, seed, needCoarse, cache);
            Log?.Invoke($"seed {seed}: fine train {data.Train.Count}, val {data.Val.Count}, test {data.Test.Count}" +
                (data.Coarse is null ? "" : $", coarse {data.Coarse.Count}"));
            var folder = run.Subfolder($"seed-{seed}");
            if (seed == 1) firstTest = new Manifest(data.TestRows, manifest.BaseDirectory);
            var runner = new StageMethodRunner(config, data, seed, folder, resume) { Progress = Progress };
            var truth = data.TestTruth;
            foreach (var method in methods)
            {
                var outcome = runner.Run(method);
                var eval = StageEvaluation.Of(outcome.Predicted, truth);
                var sim = outcome.SimilarityPredicted is { } s ? StageEvaluation.Of(s, truth) : null;
                new RunDirectory(folder).WriteJson($"{method.Slug}.json", new
                {
                    outcome.Method,
                    outcome.Seed,
                    outcome.ValidationAccuracy,
                    evaluation = eval,
                    similarity_evaluation = sim,
                    outcome.Notes,
                    outcome.Seconds,
                    outcome.Curves,
                });
                Log?.Invoke($"seed {seed} {method}: mean per-stage accuracy {100 * eval.MeanPerStageAccuracy:F2}% (overall " +
                    $"{100 * eval.OverallAccuracy:F2}%)" +
                    (sim is null ? "" : $", nearest reference {100 * sim.MeanPerStageAccuracy:F2}%") + $" in {outcome.Seconds:F0} s");
                outcomes.Add((outcome, eval, sim));
            }
        }
        var summaries = methods.Select(m => Summarise(m.Name, outcomes.Where(o => o.outcome.Method == m.Name).ToList())).ToList();
        run.WriteJson("comparison.json", new
        {
            seeds,
            methods = summaries.Select(s => new
            {
                method = s.Method,
                per_stage_accuracy = Enumerable.Range(0, PreciseStage.Count)
                    .ToDictionary(i => PreciseStage.FromClass(i).ToString(), i => new { mean = s.PerStageMean[i], std = s.PerStageStd[i] }),
                mean_per_stage_accuracy = new { mean = s.MeanPerStage.Mean, std = s.MeanPerStage.Std, by_seed = s.MeanPerStageBySeed },
                overall_accuracy = new { mean = s.Overall.Mean, std = s.Overall.Std },
                errors_inside_true_range = new { mean = s.ErrorsInsideRange.Mean, std = s.ErrorsInsideRange.Std },
                within_one_stage = new { mean = s.WithinOneStage.Mean, std = s.WithinOneStage.Std },
                nearest_reference_mean_per_stage_accuracy = s.SimilarityMeanPerStage is { } sm
                    ? new { mean = sm.Mean, std = sm.Std } : null,
                seconds = s.Seconds,
            }),
        });
        run.WriteText("comparison.md", Markdown(summaries, seeds));
        WriteReport(run, summaries, outcomes, seeds, firstTest!);
        return summaries;
    }

    private static MethodSummary Summarise(string method,
        List<(MethodOutcome outcome, StageEvaluation eval, StageEvaluation? similarity)> runs)
    {
        var perStage = Enumerable.Range(0, PreciseStage.Count)
            .Select(i => MeanStd.Of(runs.Select(r => r.eval.PerStageAccuracy[i]))).ToArray();
        var sims = runs.Where(r => r.similarity is not null).Select(r => r.similarity!.MeanPerStageAccuracy).ToList();
        return new MethodSummary(method, perStage.Select(p => p.Mean).ToArray(), perStage.Select(p => p.Std).ToArray(),
            MeanStd.Of(runs.Select(r => r.eval.MeanPerStageAccuracy)), MeanStd.Of(runs.Select(r => r.eval.OverallAccuracy)),
            MeanStd.Of(runs.Select(r => r.eval.ErrorsInsideRange)), MeanStd.Of(runs.Select(r => r.eval.WithinOneStage)),
            sims.Count > 0 ? MeanStd.Of(sims) : null, runs.Select(r => r.eval.MeanPerStageAccuracy).ToList(),
                runs.Sum(r => r.outcome.Seconds));
    }

    public static string Markdown(IReadOnlyList<MethodSummary> summaries, int seeds)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"Precise-stage accuracy (%) on the test split, mean{(seeds > 1 ? $" ± std over {seeds} seeds" : "")}.");
        sb.AppendLine();
        sb.AppendLine("| stage | " + string.Join(" | ", summaries.Select(s => s.Method)) + " |");
        sb.AppendLine("|---|" + string.Concat(summaries.Select(_ => "---:|")));
        for (int i = 0; i < PreciseStage.Count; i++)
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {PreciseStage.FromClass(i)} | " +
                $"{string.Join(" | ", summaries.Select(s => Cell(s.PerStageMean[i], s.PerStageStd[i], seeds)))} |");
        sb.AppendLine("| **mean** | " + string.Join(" | ", summaries.Select(s => $"**{s.MeanPerStage}**")) + " |");
        sb.AppendLine("| overall | " + string.Join(" | ", summaries.Select(s => s.Overall.ToString())) + " |");
        sb.AppendLine("| errors inside the true range | " +
            string.Join(" | ", summaries.Select(s => s.ErrorsInsideRange.ToString())) + " |");
        sb.AppendLine("| within ±1 stage | " + string.Join(" | ", summaries.Select(s => s.WithinOneStage.ToString())) + " |");
        if (summaries.Any(s => s.SimilarityMeanPerStage is not null))
            sb.AppendLine("| nearest reference (mean) | " +
                string.Join(" | ", summaries.Select(s => s.SimilarityMeanPerStage?.ToString() ?? "")) + " |");
        return sb.ToString();
    }

    private static string Cell(double mean, double std, int seeds) =>
        double.IsNaN(mean) ? "" : seeds > 1 ? $"{100 * mean:F1} ± {100 * std:F1}" : $"{100 * mean:F1}";

    private static void WriteReport(RunDirectory run, List<MethodSummary> summaries,
        List<(MethodOutcome outcome, StageEvaluation eval, StageEvaluation? similarity)> outcomes, int seeds,
        Manifest firstTest)
    {
        var report = new HtmlReport("Precise stage prediction: method comparison");
        report.Paragraph($"Accuracy on the test split; model selection on validation only. {seeds} seed(s).");
        var header = new List<string> { "stage" };
        header.AddRange(summaries.Select(s => s.Method));
        var rows = Enumerable.Range(0, PreciseStage.Count)
            .Select(i => (IReadOnlyList<string>)new List<string> { PreciseStage.FromClass(i).ToString() }
            .Concat(summaries.Select(s => Cell(s.PerStageMean[i], s.PerStageStd[i], seeds))).ToList()).ToList();
        rows.Add(new List<string> { "mean" }.Concat(summaries.Select(s => s.MeanPerStage.ToString())).ToList());
        rows.Add(new List<string> { "overall" }.Concat(summaries.Select(s => s.Overall.ToString())).ToList());
        rows.Add(new List<string> { "errors inside the true range" }.Concat(summaries.Select(s => s.ErrorsInsideRange.ToString()))
            .ToList());
        rows.Add(new List<string> { "within ±1 stage" }.Concat(summaries.Select(s => s.WithinOneStage.ToString())).ToList());
        report.Heading("Accuracy per stage (%), in the form of the paper's Table II").Table(header, rows);

        report.Heading("Confusion matrices (all seeds pooled; rows = true stage)");
        foreach (var s in summaries)
        {
            const int n = PreciseStage.Count;
            var pooled = Enumerable.Range(0, n).Select(r => new int[n]).ToArray();
            foreach (var o in outcomes.Where(o => o.outcome.Method == s.Method))
                for (int r = 0; r < n; r++)
                    for (int c = 0; c < n; c++) pooled[r][c] += o.eval.Confusion[r][c];
            var (px, w, h) = ConfusionImage.Render(pooled, PreciseStage.All.Select(st => st.Value).ToList());
            var name = $"confusion-{StageMethods.Find(s.Method).Slug}.png";
            using (var t = Tensor.FromArray(px, h, w, 3)) ImageIO.Write(run.File(name), t);
            report.Image(name, s.Method);
        }
        report.Heading("Training curves (seed 1): validation accuracy per epoch");
        foreach (var o in outcomes.Where(o => o.outcome.Seed == 1 && o.outcome.Curves.Count > 0))
            report.LinePlot($"{o.outcome.Method}", "epoch",
                o.outcome.Curves.Select(c => (c.Key, (IReadOnlyList<double>)c.Value.Select(e => e.Selection).ToList())).ToList());
        // interpretation of the most elaborate network method that ran
        var network = StageMethods.All.Where(m => m.HasNetwork).LastOrDefault(m => summaries.Any(s => s.Method == m.Name));
        if (network is not null)
        {
            var (net, info) = StageModelInfo.Load(Path.Combine(run.Path, "seed-1", $"{network.Slug}.model.json"));
            using (net) InterpretationFigures.Add(report, run, firstTest, net, info.Config, network.Name);
        }
        report.Save(run);
    }
}
