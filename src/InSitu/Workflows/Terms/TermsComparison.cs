using System.Globalization;
using System.Text;
using InSitu.Common;
using InSitu.Data;
using InSitu.Evaluation;
using InSitu.Reports;

namespace InSitu.Workflows.Terms;

/// <summary>One method's figures over all seeds, in the paper's Table 2 form and over seeds.</summary>
/// <param name="Table">Per task and measure: mean ± std over the task's terms and all seeds (the paper's Table 2).</param>
/// <param name="TaskAuc">Per task: mean ± std over seeds of the task's mean AUC.</param>
/// <param name="Overall">Per measure: mean ± std over seeds of the mean over every term of every task.</param>
/// <param name="MeanAucBySeed">The mean AUC over every term of every task, per seed.</param>
public sealed record TermsMethodSummary(string Method, string FeatureSet, Dictionary<string, Dictionary<string, MeanStd>> Table,
    Dictionary<string, MeanStd> TaskAuc, Dictionary<string, MeanStd> Overall, List<double> MeanAucBySeed, double Seconds)
{
    public MeanStd MeanAuc => Overall["auc"];
}

/// <summary>
/// `terms compare`: runs CV-term methods (sc, tl, tl+mtl, tl-random, bovw) on one manifest over seeds 1..N (a new split
/// grouped by gene per seed) and writes the run directory: config.json; seed-N/ with each method's results
/// (METHOD.json) and model folder; comparison.json and comparison.md (the paper's Table 2: accuracy, sensitivity,
/// specificity and AUC per stage range as mean ± std over terms and seeds, the mean AUC per seed and over seeds, and
/// the layer comparison); report.html with those tables, per-term AUCs and per-term ROC curves. Resumable.
/// </summary>
public sealed class TermsComparison
{
    public TermsProgress? Progress { get; set; }
    public Action<string>? Log { get; set; }

    public sealed record Result(List<TermsMethodSummary> Methods, List<TermsMethodSummary> Layers, int Seeds, List<string> Tasks);

    public Result Run(Manifest manifest, TermsConfig config, IReadOnlyList<TermMethod> methods, int seeds, bool layers, string outDir,
        bool resume)
    {
        config.Validate();
        if (methods.Count == 0) throw new ArgumentException($"no method given: use one or more of {string.Join(", ", TermMethods.Names)}");
        if (seeds < 1) throw new ArgumentException("--seeds must be at least 1");
        var run = new RunDirectory(outDir);
        run.WriteJson("config.json", new { config, methods = methods.Select(m => m.Name), seeds, layers, manifest = manifest.SourceFile });
        var cache = new DecodedImageCache();
        var outcomes = new List<TermOutcome>();
        var layerOutcomes = new List<TermOutcome>();
        TermTaskSet? first = null;
        for (int seed = 1; seed <= seeds; seed++)
        {
            var set = TermTaskSet.Build(manifest, config, seed);
            first ??= set;
            Log?.Invoke($"seed {seed}: " + string.Join(", ", set.Tasks.Select(t => $"{t.Name} {t.Train.Count}/{t.Test.Count}")) +
                " (train/test images)");
            var folder = TermMethodRunner.SeedFolder(outDir, seed);
            var runner = new TermMethodRunner(config, set, seed, folder, outDir, resume, cache) { Progress = Progress, Log = Log };
            foreach (var method in methods)
            {
                bool withLayers = layers && config.Layers.Length > 0
                    && method.Kind is TermFeatureKind.Pretrained or TermFeatureKind.Finetuned;
                var file = Path.Combine(folder, $"{method.Slug}.json");
                List<TermOutcome> done;
                if (resume && File.Exists(file)) done = JsonFile.Read<List<TermOutcome>>(file);
                else
                {
                    done = runner.Run(method, withLayers);
                    new RunDirectory(folder).WriteJson($"{method.Slug}.json", done);
                }
                outcomes.Add(done[0]);
                layerOutcomes.AddRange(done.Skip(1));
                Log?.Invoke($"seed {seed} {method}: mean AUC {done[0].MeanAuc:F4}");
            }
        }
        var tasks = first!.Tasks.Select(t => t.Name).ToList();
        var summaries = methods.Select(m =>
        {
            var summary = Summarise(m.Name, outcomes.Where(o => o.Method == m.Name).ToList(), tasks);
            return summary with { FeatureSet = TermMethodRunner.MainFeatureSet(m, config) };
        }).ToList();
        var layerSummaries = layerOutcomes.GroupBy(o => (o.Method, o.FeatureSet))
            .Select(g => Summarise(g.Key.Method, g.ToList(), tasks) with { FeatureSet = g.Key.FeatureSet }).ToList();
        var result = new Result(summaries, layerSummaries, seeds, tasks);
        run.WriteJson("comparison.json", Json(result, first, config));
        run.WriteText("comparison.md", Markdown(result));
        WriteReport(run, result, outcomes, first, config);
        return result;
    }

    public static TermsMethodSummary Summarise(string method, List<TermOutcome> runs, IReadOnlyList<string> tasks)
    {
        var table = tasks.ToDictionary(t => t, t => TermMetrics.Measures.ToDictionary(m => m.name,
            m => MeanStd.Of(runs.SelectMany(r => r.Metrics).Where(x => x.Task == t).Select(m.value))));
        var taskAuc = tasks.ToDictionary(t => t, t => MeanStd.Of(runs.Select(r => MeanStd.Of(r.Metrics.Where(x => x.Task == t)
            .Select(x => x.Auc)).Mean)));
        var overall = TermMetrics.Measures.ToDictionary(m => m.name, m => MeanStd.Of(runs.Select(r =>
            MeanStd.Of(r.Metrics.Select(m.value)).Mean)));
        return new TermsMethodSummary(method, runs.FirstOrDefault()?.FeatureSet ?? "", table, taskAuc, overall,
            runs.Select(r => r.MeanAuc).ToList(), runs.Sum(r => r.Seconds));
    }

    private static object Cell(MeanStd m) => new { mean = m.Mean, std = m.Std, n = m.N };

    private static object Json(Result r, TermTaskSet set, TermsConfig config) => new
    {
        seeds = r.Seeds,
        network = config.Network,
        taps = config.Taps,
        tasks = set.Tasks.Select(t => new
        {
            name = t.Name,
            range = t.Range,
            terms = t.Terms,
            train_images_seed1 = t.Train.Count,
            test_images_seed1 = t.Test.Count
        }),
        methods = r.Methods.Select(s => new
        {
            method = s.Method,
            features = s.FeatureSet,
            table2 = s.Table.ToDictionary(t => t.Key, t => t.Value.ToDictionary(m => m.Key, m => Cell(m.Value))),
            task_mean_auc_over_seeds = s.TaskAuc.ToDictionary(t => t.Key, t => Cell(t.Value)),
            overall_over_seeds = s.Overall.ToDictionary(t => t.Key, t => Cell(t.Value)),
            mean_auc_by_seed = s.MeanAucBySeed,
            seconds = s.Seconds,
        }),
        layers = r.Layers.Select(s => new
        {
            method = s.Method,
            layer = s.FeatureSet,
            task_mean_auc_over_seeds = s.TaskAuc.ToDictionary(t => t.Key, t => Cell(t.Value)),
            mean_auc = Cell(s.MeanAuc),
            mean_auc_by_seed = s.MeanAucBySeed,
        }),
        targets = Targets(r).Select(t => new { claim = t.claim, holds = t.holds, detail = t.detail }),
    };

    /// <summary>The comparisons the issue and paper make, where both methods ran: mean AUC over seeds (mean ± std).</summary>
    public static List<(string claim, bool holds, string detail)> Targets(Result r)
    {
        var list = new List<(string, bool, string)>();
        TermsMethodSummary? Find(string name) => r.Methods.FirstOrDefault(s => s.Method == name);
        void Compare(string a, string b, bool orEqual)
        {
            if (Find(a) is not { } x || Find(b) is not { } y) return;
            bool holds = orEqual ? x.MeanAuc.Mean >= y.MeanAuc.Mean : x.MeanAuc.Mean > y.MeanAuc.Mean;
            list.Add(($"{a} {(orEqual ? ">=" : ">")} {b} (mean AUC)", holds, $"{F(x.MeanAuc)} vs {F(y.MeanAuc)}"));
        }
        Compare(TermMethods.Tl.Name, TermMethods.TlRandom.Name, false);
        Compare(TermMethods.TlMtl.Name, TermMethods.Tl.Name, true);
        Compare(TermMethods.Tl.Name, TermMethods.Sc.Name, false);
        Compare(TermMethods.TlMtl.Name, TermMethods.Sc.Name, false);
        return list;
    }

    /// <summary>A fraction as the paper prints it: 0.8493 ± 0.0427.</summary>
    public static string F(MeanStd m) => double.IsNaN(m.Mean) ? "n/a"
        : m.N > 1 ? FormattableString.Invariant($"{m.Mean:F4} ± {m.Std:F4}") : m.Mean.ToString("F4", CultureInfo.InvariantCulture);

    public static string Markdown(Result r)
    {
        var sb = new StringBuilder();
        sb.AppendLine(FormattableString.Invariant($"CV-term annotation on the test split, {r.Seeds} seed(s). ") +
            "Table 2 form: mean ± std over the " +
            "terms of each task and all seeds.");
        sb.AppendLine();
        sb.AppendLine("| measure | method | " + string.Join(" | ", r.Tasks) + " |");
        sb.AppendLine("|---|---|" + string.Concat(r.Tasks.Select(_ => "---:|")));
        foreach (var (measure, _) in TermMetrics.Measures)
            foreach (var s in r.Methods)
                sb.AppendLine(FormattableString.Invariant($"| {measure} | {s.Method} | ") + string.Join(" | ", r.Tasks.Select(t =>
                    F(s.Table[t][measure]))) + " |");
        sb.AppendLine();
        sb.AppendLine(FormattableString.Invariant($"Mean AUC over all terms and tasks, mean ± std over {r.Seeds} seed(s):"));
        sb.AppendLine();
        sb.AppendLine("| method | features | mean AUC | " + string.Join(" | ", r.Tasks) + " |");
        sb.AppendLine("|---|---|---:|" + string.Concat(r.Tasks.Select(_ => "---:|")));
        foreach (var s in r.Methods)
            sb.AppendLine(FormattableString.Invariant($"| {s.Method} | {s.FeatureSet} | **{F(s.MeanAuc)}** | ") + string.Join(" | ",
                r.Tasks.Select(t => F(s.TaskAuc[t]))) + " |");
        var targets = Targets(r);
        if (targets.Count > 0)
        {
            sb.AppendLine();
            foreach (var (claim, holds, detail) in targets)
                sb.AppendLine(FormattableString.Invariant($"* {claim}: {(holds ? "holds" : "does not hold")} ({detail})"));
        }
        if (r.Layers.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Layer comparison: each layer alone, mean AUC (mean ± std over seeds):");
            sb.AppendLine();
            sb.AppendLine("| method | layer | mean AUC | " + string.Join(" | ", r.Tasks) + " |");
            sb.AppendLine("|---|---|---:|" + string.Concat(r.Tasks.Select(_ => "---:|")));
            foreach (var s in r.Layers)
                sb.AppendLine(FormattableString.Invariant($"| {s.Method} | {s.FeatureSet} | {F(s.MeanAuc)} | ") + string.Join(" | ",
                    r.Tasks.Select(t => F(s.TaskAuc[t]))) + " |");
        }
        return sb.ToString();
    }

    private static void WriteReport(RunDirectory run, Result r, List<TermOutcome> outcomes, TermTaskSet set, TermsConfig config)
    {
        var report = new HtmlReport("CV-term annotation: method comparison");
        var lambdas = string.Join(", ", config.Classifier.Lambdas.Select(l => l.ToString("G3", CultureInfo.InvariantCulture)));
        var classifier = config.Classifier.Undersample
            ? $"{config.Classifier.Members} L2 logistic regressions on undersampled training sets, majority vote (the vote fraction " +
              "scores the AUC)"
            : "one L2 logistic regression";
        report.Paragraph($"{r.Seeds} seed(s), each a new split grouped by gene ({100 * config.TestShare:F0}% of the genes test " +
            $"unless the manifest has a split). Network {config.Network} at {config.Height}x{config.Width}, features from " +
            string.Join(" + ", config.Taps) +
            (config.PoolGrid is { } g ? $" (maps average-pooled to at most {g[0]}x{g[1]})" : "") +
            $". Per term: {classifier}, lambda from {lambdas} by inner validation.");
        report.Heading("Tasks (seed 1)").Table(["task", "train images", "test images", "terms (training positives)"],
            set.Tasks.Select(t => (IReadOnlyList<string>)[t.Name, t.Train.Count.ToString(CultureInfo.InvariantCulture),
                t.Test.Count.ToString(CultureInfo.InvariantCulture),
                string.Join("; ", t.Terms.Select(term => $"{term} ({t.Train.Count(i => set.Has(i, term))})"))]));
        report.Heading("The paper's Table 2: mean ± std over terms and seeds").Table(
            new[] { "measure", "method" }.Concat(r.Tasks).ToList(),
            TermMetrics.Measures.SelectMany(m => r.Methods.Select(s =>
                (IReadOnlyList<string>)new[] { m.name, s.Method }.Concat(r.Tasks.Select(t => F(s.Table[t][m.name]))).ToList())));
        report.Heading("Mean AUC, mean ± std over seeds").Table(
            new[] { "method", "features", "all tasks" }.Concat(r.Tasks).ToList(),
            r.Methods.Select(s => (IReadOnlyList<string>)new[] { s.Method, s.FeatureSet, F(s.MeanAuc) }
                .Concat(r.Tasks.Select(t => F(s.TaskAuc[t]))).ToList()));
        var targets = Targets(r);
        if (targets.Count > 0)
            report.Table(["comparison", "holds", "mean AUC"], targets.Select(t => (IReadOnlyList<string>)[t.claim, t.holds ? "yes" : "no",
                t.detail]));
        if (r.Layers.Count > 0)
            report.Heading("Layer comparison: each layer alone (mean AUC, mean ± std over seeds)").Table(
                new[] { "method", "layer", "all tasks" }.Concat(r.Tasks).ToList(),
                r.Layers.Select(s => (IReadOnlyList<string>)new[] { s.Method, s.FeatureSet, F(s.MeanAuc) }
                    .Concat(r.Tasks.Select(t => F(s.TaskAuc[t]))).ToList()));

        report.Heading("AUC per term (mean over seeds)");
        foreach (var task in set.Tasks)
            report.Table(new[] { $"{task.Name}: term" }.Concat(r.Methods.Select(s => s.Method)).ToList(),
                task.Terms.Select(term => (IReadOnlyList<string>)new[] { term }.Concat(r.Methods.Select(s =>
                    F(MeanStd.Of(outcomes.Where(o => o.Method == s.Method).SelectMany(o => o.Metrics)
                        .Where(m => m.Task == task.Name && m.Term == term).Select(m => m.Auc))))).ToList()));

        report.Heading("ROC curves per term (seed 1, test images)");
        foreach (var task in set.Tasks)
        {
            var images = new List<(string, string)>();
            foreach (var o in outcomes.Where(o => o.Seed == 1))
            {
                var scores = o.Scores.FirstOrDefault(s => s.Task == task.Name);
                if (scores is null) continue;
                var curves = scores.Terms.Select((term, k) =>
                {
                    var s = scores.Scores.Select(x => x[k]).ToArray();
                    var y = scores.Truth.Select(x => x[k] ? 1L : 0L).ToArray();
                    var c = RocAuc.Curve(s, y);
                    return (term, c.FalsePositiveRate, c.TruePositiveRate, RocAuc.Binary(s, y));
                }).ToList();
                var name = $"roc-{Slug(task.Name)}-{TermMethods.Find(o.Method).Slug}.svg";
                run.WriteText(name, RocChart.Svg($"{task.Name}: {o.Method}", curves));
                images.Add((name, o.Method));
            }
            if (images.Count > 0) report.ImageRow(images, $"{task.Name}: ROC curve of each term, per method");
        }
        report.Save(run);
    }

    private static string Slug(string name) => string.Concat(name.Select(c => char.IsLetterOrDigit(c) ? c : '-'));
}
