using System.Globalization;
using InSitu.Data;
using InSitu.Reports;

namespace InSitu.Workflows.Bags;

/// <summary>What `bags train` reports besides the outcome: the data's problems and sizes.</summary>
public sealed record BagRunSummary(BagRunOutcome Outcome, int TrainBags, int ValidationBags, int TestBags, int Attributes,
    IReadOnlyList<(string Path, string Reason)> SkippedImages, IReadOnlyList<(string Bag, string Reason)> DroppedBags, int SplitBags,
    string FailuresFile);

/// <summary>
/// `bags train`: one seed, one run directory holding config.json, bags.csv (every bag with its split), failures.csv (images
/// that could not be read and bags dropped because none could), each phase's checkpoints and curves, cnn.pt, lstm.pt,
/// model.json (attributes, masks, thresholds) and evaluation.json (test figures of the bag model and the CNN-only rule).
/// </summary>
public static class BagRun
{
    public static BagRunSummary Train(Manifest manifest, BagConfig config, string outDir, int seed, TermVocabulary? vocabulary,
        bool resume, BagProgress? progress = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var run = new RunDirectory(outDir);
        run.WriteJson("config.json", new { config, seed, manifest = manifest.SourceFile ?? manifest.BaseDirectory });
        var cache = new DecodedImageCache();
        var set = BagSet.Load(manifest, config, vocabulary, cache);
        var failures = WriteFailures(run, set);
        var data = BagData.Load(set, config, seed, vocabulary);
        var outcome = new BagTraining(config, data, run.Path, resume, cache) { Progress = progress }.Run();
        WriteReport(run, outcome, data);
        return new BagRunSummary(outcome, data.Train.Count, data.Val.Count, data.Test.Count, data.Attributes.Count, set.SkippedImages,
            set.DroppedBags, set.SplitBags, failures);
    }

    /// <summary>report.html: the test figures of the bag model and the CNN-only rule, F1 and threshold per attribute, curves.</summary>
    private static void WriteReport(RunDirectory run, BagRunOutcome outcome, BagData data)
    {
        var report = new HtmlReport("Gene-stage bags: one trained model");
        report.Paragraph($"{data.Train.Count} training, {data.Val.Count} validation and {data.Test.Count} test bags (seed {data.Seed}); " +
            $"{data.Attributes.Count} attributes; thresholds chosen per attribute on the validation bags.");
        var evaluations = new[] { outcome.BagModel, outcome.CnnMean }.OfType<BagEvaluation>().ToList();
        static string F(double v) => double.IsNaN(v) ? "" : v.ToString("F4", CultureInfo.InvariantCulture);
        report.Heading("Test figures").Table(new[] { "model", "AUC (samples)", "AUC (macro)", "macro F1", "sample F1", "test bags" },
            evaluations.Select(e => (IReadOnlyList<string>)new[]
            {
                e.Model, F(e.Scores.AucSamples), F(e.Scores.AucMacro), F(e.Scores.F1Macro), F(e.Scores.F1Samples),
                e.TestBags.ToString(CultureInfo.InvariantCulture),
            }));
        var terms = data.Attributes.Terms;
        var chart = BarChart.Write(run, "f1_per_attribute.svg", "F1 per attribute (test bags)", terms,
            evaluations.Select(e => new BarSeries(e.Model, e.Scores.F1PerLabel)).ToList());
        report.Heading("F1 per attribute").Image(chart, "F1 of each attribute on the test bags");
        report.Heading("Thresholds").Table(new[] { "attribute" }.Concat(evaluations.Select(e => e.Model)).ToList(),
            terms.Select((t, m) => (IReadOnlyList<string>)new[] { t }.Concat(evaluations.Select(e => F(e.Thresholds[m]))).ToList()));
        report.Heading("Training curves: validation selection score 0.2 AUC + 0.4 macro F1 + 0.4 sample F1");
        foreach (var (phase, curve) in outcome.Curves.Where(c => c.Key != "warmup"))
            report.LinePlot(phase, "epoch", new[] { ("selection", (IReadOnlyList<double>)curve.Select(e => e.Selection).ToList()) });
        report.Save(run);
    }

    /// <summary>failures.csv: unreadable images (path, reason) and the bags dropped because none of their images could be read.</summary>
    public static string WriteFailures(RunDirectory run, BagSet set)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(set);
        var file = run.File("failures.csv");
        FailureReport.Write(file, set.SkippedImages.Select(s => (s.Path, s.Reason))
            .Concat(set.DroppedBags.Select(d => ($"bag:{d.Bag}", $"bag dropped: {d.Reason}"))));
        return file;
    }
}
