using System.Globalization;
using InSitu.Data;
using InSitu.Torch;

namespace InSitu.Workflows.Bags;

/// <summary>The evaluations of `bags evaluate` on one set of test bags, and which bags they are.</summary>
public sealed record BagEvaluationReport(string Bags, IReadOnlyList<BagEvaluation> Evaluations, IReadOnlyList<string> Notes);

/// <summary>
/// `bags evaluate`: a trained model, and optionally another method's per-bag (or per-image) probabilities from a CSV, scored
/// on the same test bags with the same metrics. The test bags are the manifest's test split when it has a split column,
/// else the test bags the run itself used (its bags.csv), else every bag. The model keeps the thresholds it chose on its
/// validation bags; the other method's thresholds are chosen on the same validation bags when its CSV covers them (else
/// 0.5, and the report says so).
/// </summary>
public static class BagEvaluator
{
    public static BagEvaluationReport Evaluate(string runDir, Manifest manifest, TermVocabulary? vocabulary,
        IReadOnlyList<(string Name, string File)> externalScores)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(externalScores);
        using var model = TrainedBagModel.Load(runDir);
        var cache = new DecodedImageCache();
        var set = BagSet.Load(manifest, model.Info.Config, vocabulary, cache);
        var (val, test, which) = Split(set, runDir);
        var notes = new List<string>();
        if (set.SkippedImages.Count > 0 || set.DroppedBags.Count > 0)
            notes.Add($"{set.SkippedImages.Count} unreadable image(s) skipped, {set.DroppedBags.Count} bag(s) with none readable left out");
        var attributes = model.Attributes;
        var truth = set.Bags.GroupBy(b => b.Source).ToDictionary(g => g.Key, g => attributes.Target(g.First()), StringComparer.Ordinal);
        var (own, cnnMean) = model.Predict(set, test, cache);
        var evaluations = new List<BagEvaluation>
        {
            BagEvaluation.Scored(model.Info.Predictor, 0, own, s => truth[s], model.Info.Thresholds),
        };
        if (model.Lstm is not null)
            evaluations.Add(BagEvaluation.Scored(BagTraining.CnnMean, 0, cnnMean, s => truth[s], model.Info.CnnMeanThresholds));
        var testSources = Sources(set, test);
        var valSources = Sources(set, val);
        foreach (var (name, file) in externalScores)
        {
            var scores = ExternalBagScores.Read(file, attributes.Terms, set);
            var missing = testSources.Where(s => !scores.ContainsKey(s)).ToList();
            if (missing.Count > 0)
                throw new InvalidDataException($"{file}: {missing.Count} of the {testSources.Count} test bags have no scores (e.g. " +
                    $"{string.Join(", ", missing.Take(3))}); the comparison needs every test bag");
            var testPredictions = testSources.Select(s => new BagPrediction(s, scores[s])).ToList();
            if (valSources.Count > 0 && valSources.All(scores.ContainsKey))
                evaluations.Add(BagEvaluation.Of(name, valSources.Select(s => new BagPrediction(s, scores[s])).ToList(), testPredictions,
                    s => truth[s]));
            else
            {
                notes.Add($"{name}: thresholds 0.5 ({file} does not score every validation bag)");
                evaluations.Add(BagEvaluation.Scored(name, 0, testPredictions, s => truth[s], attributes.Terms.Select(_ => 0.5).ToArray()));
            }
        }
        return new BagEvaluationReport(which, evaluations, notes);
    }

    private static List<string> Sources(BagSet set, IReadOnlyList<int> bags) => bags.Select(b => set.Bags[b].Source).Distinct().ToList();

    /// <summary>Validation and test bags: by the manifest's split, else by the run's bags.csv, else every bag is a test bag.</summary>
    public static (List<int> Val, List<int> Test, string Which) Split(BagSet set, string runDir)
    {
        ArgumentNullException.ThrowIfNull(set);
        var all = Enumerable.Range(0, set.Bags.Count).ToList();
        if (set.Bags[0].Split is not null)
            return (all.Where(b => set.Bags[b].Split == "val").ToList(), NonEmpty(all.Where(b => set.Bags[b].Split == "test").ToList(),
                "the manifest's test split"), "the manifest's test split");
        var list = Path.Combine(Directory.Exists(runDir) ? runDir : Path.GetDirectoryName(Path.GetFullPath(runDir))!, "bags.csv");
        if (File.Exists(list))
        {
            var splits = ReadSplits(list);
            var test = all.Where(b => splits.GetValueOrDefault(set.Bags[b].Source) == "test").ToList();
            if (test.Count > 0)
                return (all.Where(b => splits.GetValueOrDefault(set.Bags[b].Source) == "val").ToList(), test,
                    "the run's own test bags (bags.csv)");
        }
        return (new List<int>(), all, "every bag of the manifest (no split column, and none of the run's test bags)");
    }

    private static List<int> NonEmpty(List<int> bags, string what) =>
        bags.Count > 0 ? bags : throw new InvalidDataException($"{what} has no bags with readable images");

    private static Dictionary<string, string> ReadSplits(string file)
    {
        using var reader = new StreamReader(file);
        var records = Csv.Read(reader).ToList();
        var header = records[0].fields;
        int source = header.IndexOf("source"), split = header.IndexOf("split");
        if (source < 0 || split < 0) throw new InvalidDataException($"{file}: expected the columns source and split");
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (_, f) in records.Skip(1))
            if (f.Count > Math.Max(source, split)) result[f[source]] = f[split];
        return result;
    }
}

/// <summary>
/// Another method's attribute probabilities from a CSV, one row per bag (column <c>bag</c>, source bag ids such as
/// CG1234_3) or per image (column <c>path</c>, relative to the CSV's folder or absolute; a bag's probabilities are then
/// the mean of its images', the "per-bag mean of image scores"), and one column per attribute named exactly as the
/// model's attributes (other columns are ignored). Values must be numbers in [0, 1].
/// </summary>
public static class ExternalBagScores
{
    public static Dictionary<string, double[]> Read(string file, IReadOnlyList<string> attributes, BagSet set)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        ArgumentNullException.ThrowIfNull(set);
        if (!File.Exists(file)) throw new FileNotFoundException($"scores file '{file}' does not exist", file);
        List<(int line, List<string> fields)> records;
        using (var reader = new StreamReader(file)) records = Csv.Read(reader).ToList();
        if (records.Count == 0)
            throw new InvalidDataException($"{file}: empty (expected a header with 'bag' or 'path' and the attributes)");
        var header = records[0].fields.Select(h => h.Trim()).ToList();
        int key = header.IndexOf("bag");
        bool perImage = key < 0;
        if (perImage) key = header.IndexOf("path");
        if (key < 0) throw new InvalidDataException($"{file}:1: no 'bag' or 'path' column");
        var columns = attributes.Select(a => header.IndexOf(a)).ToArray();
        var missing = attributes.Where((a, m) => columns[m] < 0).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"{file}:1: no column for {missing.Count} of the model's {attributes.Count} attributes (e.g. " +
                $"'{string.Join("', '", missing.Take(3))}'); name the columns exactly as the terms in the model's model.json");
        var imageBag = perImage
            ? set.Bags.SelectMany(b => b.Rows.Select(r => (path: set.Manifest.FullPath(set.Manifest.Rows[r]), b.Source)))
                .ToDictionary(p => p.path, p => p.Source, StringComparer.Ordinal)
            : null;
        var folder = Path.GetDirectoryName(Path.GetFullPath(file))!;
        var sums = new Dictionary<string, (double[] sum, int n)>(StringComparer.Ordinal);
        foreach (var (line, f) in records.Skip(1))
        {
            if (f.Count == 1 && f[0].Length == 0) continue;
            if (f.Count != header.Count)
                throw new InvalidDataException($"{file}:{line}: {f.Count} fields, but the header has {header.Count}");
            string? bag = perImage ? imageBag!.GetValueOrDefault(Path.GetFullPath(Path.Combine(folder, f[key].Trim()))) : f[key].Trim();
            if (bag is null) continue; // an image of no bag of this manifest
            var values = new double[attributes.Count];
            for (int m = 0; m < attributes.Count; m++)
            {
                var text = f[columns[m]].Trim();
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v is < 0 or > 1 ||
                    double.IsNaN(v))
                    throw new InvalidDataException($"{file}:{line}: '{attributes[m]}' is '{text}', not a probability in [0, 1]");
                values[m] = v;
            }
            var (sum, n) = sums.GetValueOrDefault(bag, (new double[attributes.Count], 0));
            for (int m = 0; m < values.Length; m++) sum[m] += values[m];
            sums[bag] = (sum, n + 1);
        }
        if (sums.Count == 0)
            throw new InvalidDataException($"{file}: none of its rows names a bag {(perImage ? "image " : "")}of the manifest");
        return sums.ToDictionary(p => p.Key, p => p.Value.sum.Select(v => v / p.Value.n).ToArray(), StringComparer.Ordinal);
    }
}
