using System.Globalization;
using InSitu.Data;

namespace InSitu.Workflows.Bags;

/// <summary>What `bags predict` did: bags written, images used and skipped, and where the lists are.</summary>
public sealed record BagPredictionResult(int Bags, int Images, int Skipped, int DroppedBags, string FailuresPath);

/// <summary>
/// `bags predict`: per-bag attribute probabilities and decisions for every bag of a manifest, as CSV:
/// <c>bag,range,images,predicted_terms,TERM1,TERM2,...</c> with the decided terms (probability at least the attribute's
/// threshold) joined by ';' and one probability column per attribute. The file is what `bags evaluate --scores` reads.
/// Unreadable images are skipped and listed in OUT.failures.csv with the bags left without any image.
/// </summary>
public static class BagPredictor
{
    public static BagPredictionResult Predict(string runDir, Manifest manifest, string outFile, TermVocabulary? vocabulary = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        using var model = TrainedBagModel.Load(runDir);
        var cache = new DecodedImageCache();
        var set = BagSet.Load(manifest, model.Info.Config, vocabulary, cache);
        var failures = FailureReport.PathBeside(outFile);
        FailureReport.Write(failures, set.SkippedImages.Select(s => (s.Path, s.Reason))
            .Concat(set.DroppedBags.Select(d => ($"bag:{d.Bag}", $"bag left out: {d.Reason}"))));
        var (predictions, _) = model.Predict(set, Enumerable.Range(0, set.Bags.Count).ToList(), cache);
        var terms = model.Attributes.Terms;
        var thresholds = model.Info.Thresholds;
        var bySource = set.Bags.GroupBy(b => b.Source)
            .ToDictionary(g => g.Key, g => (range: g.First().Range, images: g.Sum(b => b.Rows.Length)), StringComparer.Ordinal);
        var lines = new List<string> { Csv.Line(new[] { "bag", "range", "images", "predicted_terms" }.Concat(terms)) };
        foreach (var p in predictions)
        {
            var (range, images) = bySource[p.Source];
            var decided = terms.Where((_, m) => p.Probabilities[m] >= thresholds[m]);
            lines.Add(Csv.Line(new[]
            {
                p.Source, range?.ToString(CultureInfo.InvariantCulture) ?? "", images.ToString(CultureInfo.InvariantCulture),
                string.Join(";", decided),
            }.Concat(p.Probabilities.Select(v => v.ToString("0.######", CultureInfo.InvariantCulture)))));
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(outFile));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        Torch.AtomicFile.WriteText(outFile, string.Join("\n", lines) + "\n");
        return new BagPredictionResult(predictions.Count, set.Manifest.Rows.Count, set.SkippedImages.Count, set.DroppedBags.Count,
            failures);
    }
}
