using System.Globalization;
using System.Text;
using InSitu.Data;
using InSitu.Evaluation;
using InSitu.Reports;
using InSitu.Training;

namespace InSitu.Workflows.Bags;

/// <summary>One variant's figures over seeds: test ROC AUC (samples, macro), macro and sample F1, and F1 per attribute.</summary>
public sealed record VariantSummary(string Variant, string Description, MeanStd AucSamples, MeanStd AucMacro, MeanStd F1Macro,
    MeanStd F1Samples, IReadOnlyDictionary<string, MeanStd> F1PerAttribute, List<double> F1SamplesBySeed, double Seconds);

/// <summary>
/// `bags ablate`: the full method, the method with one component off at a time, and the CNN-only rule, over seeds (each seed
/// its own split when the manifest has none, and its own initialisation). Writes seed-N/VARIANT/ (each a `bags train` run),
/// ablation.json, ablation.md and report.html (the table with mean ± std over seeds, per-attribute F1 bars, curves). Runs
/// whose warm-up settings agree share one warm-up per seed.
/// </summary>
public sealed class BagAblation
{
    public BagProgress? Progress { get; set; }
    public Action<string>? Log { get; set; }

    public List<VariantSummary> Run(Manifest manifest, BagConfig config, IReadOnlyList<BagVariant> variants, int seeds, string outDir,
        TermVocabulary? vocabulary, bool resume)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(variants);
        config.Validate();
        if (seeds < 1) throw new ArgumentException("--seeds must be at least 1");
        if (!variants.Contains(BagVariants.Full)) throw new ArgumentException("the ablation needs the full method");
        var run = new RunDirectory(outDir);
        run.WriteJson("config.json", new { config, variants = variants.Select(v => v.Name), seeds, manifest = manifest.SourceFile });
        var cache = new DecodedImageCache();
        var set = BagSet.Load(manifest, config, vocabulary, cache);
        var failures = BagRun.WriteFailures(run, set);
        if (set.SkippedImages.Count > 0 || set.DroppedBags.Count > 0)
            Log?.Invoke($"{set.SkippedImages.Count} unreadable image(s) skipped, {set.DroppedBags.Count} bag(s) dropped: {failures}");
        var results = new List<(BagVariant variant, int seed, BagEvaluation eval, IReadOnlyList<string> attributes, BagRunOutcome run)>();
        var finished = new HashSet<string>(StringComparer.Ordinal);
        for (int seed = 1; seed <= seeds; seed++)
        {
            var data = BagData.Load(set, config, seed, vocabulary);
            Log?.Invoke($"seed {seed}: {data.Train.Count} train, {data.Val.Count} validation, {data.Test.Count} test bags; " +
                $"{data.Attributes.Count} attributes");
            var folder = run.Subfolder($"seed-{seed.ToString(CultureInfo.InvariantCulture)}");
            BagRunOutcome? full = null;
            foreach (var variant in variants.Where(v => !v.CnnOfFullRun))
            {
                var variantConfig = config with { Components = variant.Components(config.Components) };
                var warmup = Path.Combine(folder, variantConfig.Components.Augmentation ? "warmup" : "warmup-no-augmentation");
                var training = new BagTraining(variantConfig, data, Path.Combine(folder, variant.Name), resume, cache)
                {
                    Progress = Progress is { } p ? (phase, progress) => p($"seed {seed} {variant.Name} {phase}", progress) : null,
                    WarmupFolder = warmup,
                    FinishedPhases = finished,
                };
                var outcome = training.Run();
                if (variant == BagVariants.Full) full = outcome;
                results.Add((variant, seed, outcome.Final, data.Attributes.Terms, outcome));
                Log?.Invoke($"seed {seed} {variant.Name}: {Describe(outcome.Final)} in {outcome.Seconds:F0} s");
            }
            foreach (var variant in variants.Where(v => v.CnnOfFullRun))
            {
                results.Add((variant, seed, full!.CnnMean, data.Attributes.Terms, full));
                Log?.Invoke($"seed {seed} {variant.Name}: {Describe(full.CnnMean)}");
            }
        }
        var summaries = variants.Select(v => Summarise(v, results.Where(r => r.variant == v)
            .Select(r => (r.eval, r.attributes, r.variant.CnnOfFullRun ? 0 : r.run.Seconds)).ToList())).ToList();
        run.WriteJson("ablation.json", new
        {
            seeds,
            attributes_seed_1 = results.First().attributes,
            variants = summaries.Select(s => new
            {
                variant = s.Variant,
                description = s.Description,
                auc_samples = Json(s.AucSamples),
                auc_macro = Json(s.AucMacro),
                f1_macro = Json(s.F1Macro),
                f1_samples = Json(s.F1Samples),
                f1_samples_by_seed = s.F1SamplesBySeed,
                f1_per_attribute = s.F1PerAttribute.ToDictionary(p => p.Key, p => Json(p.Value)),
                seconds = s.Seconds,
            }),
        });
        run.WriteText("ablation.md", Markdown(summaries, seeds));
        WriteReport(run, summaries, results.Where(r => r.seed == 1 && r.variant == BagVariants.Full).Select(r => r.run).First(), seeds,
            results.First().attributes);
        return summaries;
    }

    private static object Json(MeanStd m) => new { mean = m.Mean, std = m.Std, n = m.N };

    private static string Describe(BagEvaluation e) => string.Create(CultureInfo.InvariantCulture,
        $"AUC {e.Scores.AucSamples:F4}, macro F1 {e.Scores.F1Macro:F4}, sample F1 {e.Scores.F1Samples:F4}");

    private static VariantSummary Summarise(BagVariant variant,
        List<(BagEvaluation eval, IReadOnlyList<string> attributes, double seconds)> runs)
    {
        var perAttribute = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        foreach (var (eval, attributes, _) in runs)
            for (int m = 0; m < attributes.Count; m++)
            {
                if (!perAttribute.TryGetValue(attributes[m], out var list)) perAttribute[attributes[m]] = list = new List<double>();
                list.Add(eval.Scores.F1PerLabel[m]);
            }
        return new VariantSummary(variant.Name, variant.Description, MeanStd.Of(runs.Select(r => r.eval.Scores.AucSamples)),
            MeanStd.Of(runs.Select(r => r.eval.Scores.AucMacro)), MeanStd.Of(runs.Select(r => r.eval.Scores.F1Macro)),
            MeanStd.Of(runs.Select(r => r.eval.Scores.F1Samples)),
            perAttribute.ToDictionary(p => p.Key, p => MeanStd.Of(p.Value), StringComparer.Ordinal),
            runs.Select(r => r.eval.Scores.F1Samples).ToList(), runs.Sum(r => r.seconds));
    }

    private static string Cell(MeanStd m) => double.IsNaN(m.Mean) ? "" :
        m.N > 1 ? string.Create(CultureInfo.InvariantCulture, $"{m.Mean:F3} ± {m.Std:F3}")
            : m.Mean.ToString("F3", CultureInfo.InvariantCulture);

    /// <summary>The ablation table: one row per variant, mean ± std over seeds of the test figures.</summary>
    public static string Markdown(IReadOnlyList<VariantSummary> summaries, int seeds)
    {
        ArgumentNullException.ThrowIfNull(summaries);
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"Test bags, thresholds chosen on validation; mean{(seeds > 1 ? $" ± std over {seeds} seeds" : "")}.");
        sb.AppendLine();
        sb.AppendLine("| variant | AUC (samples) | AUC (macro) | macro F1 | sample F1 |");
        sb.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var s in summaries)
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {s.Variant} | {Cell(s.AucSamples)} | {Cell(s.AucMacro)} | {Cell(s.F1Macro)} | {Cell(s.F1Samples)} |");
        return sb.ToString();
    }

    private static void WriteReport(RunDirectory run, List<VariantSummary> summaries, BagRunOutcome firstFull, int seeds,
        IReadOnlyList<string> attributes)
    {
        var report = new HtmlReport("Gene-stage bags: ablation of the CNN + BiLSTM method");
        report.Paragraph($"Test bags of each seed's split; per-attribute thresholds chosen on the validation bags; mean ± std over " +
            $"{seeds} seed(s). AUC (samples) averages each bag's ROC AUC over its attributes; AUC (macro) each attribute's over bags.");
        report.Heading("Ablation table").Table(
            new[] { "variant", "AUC (samples)", "AUC (macro)", "macro F1", "sample F1", "what is off" },
            summaries.Select(s => (IReadOnlyList<string>)new[]
                { s.Variant, Cell(s.AucSamples), Cell(s.AucMacro), Cell(s.F1Macro), Cell(s.F1Samples), s.Description }));
        var chart = BarChart.Write(run, "f1_per_attribute.svg", "F1 per attribute (test bags)", attributes,
            summaries.Select(s => new BarSeries(s.Variant,
                attributes.Select(a => s.F1PerAttribute.TryGetValue(a, out var m) ? m.Mean : double.NaN).ToList(),
                seeds > 1 ? attributes.Select(a => s.F1PerAttribute.TryGetValue(a, out var m) ? m.Std : double.NaN).ToList() : null))
                .ToList());
        report.Heading("F1 per attribute").Image(chart, "F1 of each attribute on the test bags, per variant (attributes of seed 1, " +
            "most frequent first)");
        report.Heading("Training curves (seed 1, full method): validation selection score 0.2 AUC + 0.4 macro F1 + 0.4 sample F1");
        foreach (var (phase, curve) in firstFull.Curves.Where(c => c.Key != "warmup"))
            report.LinePlot(phase, "epoch", new[]
            {
                ("selection", (IReadOnlyList<double>)curve.Select(e => e.Selection).ToList()),
                ("train loss", curve.Select(e => e.TrainLoss).ToList()),
            });
        report.Save(run);
    }
}
