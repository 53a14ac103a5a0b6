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
        return new BagRunSummary(outcome, data.Train.Count, data.Val.Count, data.Test.Count, data.Attributes.Count, set.SkippedImages,
            set.DroppedBags, set.SplitBags, failures);
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
