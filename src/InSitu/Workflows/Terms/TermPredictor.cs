using System.Globalization;
using System.Text;
using InSitu.Data;
using InSitu.Torch;

namespace InSitu.Workflows.Terms;

/// <summary>
/// `terms predict`: term scores of a folder or manifest from a trained terms model, per image and per bag. Each image is
/// scored by the classifiers of its task (its stage range, or --range for images without one; a model of one "all"
/// task takes every image). The score of a term is the fraction of the term's ensemble members voting for it (the
/// score AUC is computed on; a plain-LR model writes its probability); a term counts as present above 1/2.
/// <list type="bullet">
/// <item>per image (OUT): path (absolute), bag, range, task, then one column per term of the model, named exactly as the
/// term;</item>
/// <item>per bag (BAGS, when images have a bag): bag, range, task, images, then per term the mean of its images' scores:
/// the per-bag prediction that the bag workflow's model is compared with.</item>
/// </list>
/// Both files are what `bags evaluate RUN MANIFEST --scores NAME=FILE` reads: a <c>bag</c> or <c>path</c> column and one
/// probability column per term, every cell a number in [0, 1]. So a term the model has no classifier for in an image's
/// range scores 0 there (predicted absent, as a bag model predicts a term impossible in a range), and an image's bag is its
/// <c>bag</c> column, else GENE_RANGE from its gene and range (the bag workflow's bag ids), else empty.
/// Images that cannot be read or have no task are skipped and listed in OUT.failures.csv.
/// </summary>
public static class TermPredictor
{
    public sealed record Result(int Written, int Images, IReadOnlyList<(string path, string reason)> Failures, string FailuresPath,
        int Bags, string? BagsPath);

    public static Result PredictToCsv(string modelPath, string input, string outCsv, string? bagsCsv = null, int? range = null,
        TermsProgress? progress = null)
    {
        var (info, folder) = TermsModelInfo.Load(modelPath);
        if (range is { } r && r is < 1 or > 6) throw new ArgumentException($"--range must be a stage range 1..6 (got {r})");
        var (m, skipped) = ImageInputs.Collect([input]);
        int total = m.Rows.Count + skipped.Count;
        if (total == 0) throw new InvalidDataException($"no images in '{input}'");
        var failures = skipped.ToList();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outCsv))!);
        var failuresPath = FailureReport.PathBeside(outCsv);
        bool single = info.Tasks.Count == 1 && info.Tasks[0].Range is null;
        TermsModelTask? TaskOf(int row)
        {
            if (single) return info.Tasks[0];
            var rowRange = m.Rows[row].Range ?? range;
            return info.Tasks.FirstOrDefault(t => t.Range == rowRange);
        }
        var usable = new List<int>();
        for (int i = 0; i < m.Rows.Count; i++)
        {
            if (TaskOf(i) is not null) usable.Add(i);
            else
                failures.Add((m.FullPath(m.Rows[i]), m.Rows[i].Range is { } own || range is not null
                    ? $"the model has no classifiers for stage range {TermTaskSet.RangeName((m.Rows[i].Range ?? range)!.Value)} (it has " +
                      $"{string.Join(", ", info.Tasks.Select(t => t.Name))})"
                    : "no stage range (column 'range'): the model's classifiers are per range; give one with --range"));
        }
        Dictionary<int, double[]> scores = new();
        if (usable.Count > 0)
        {
            scores = TermScoring.Score(info, folder, m, usable, progress, out var bad, TaskOf, skipBad: true);
            failures.AddRange(bad.Select(b => (m.FullPath(m.Rows[b.row]), b.reason)));
        }
        FailureReport.Write(failuresPath, failures);
        if (scores.Count == 0) throw FailureReport.NothingUsable($"in '{input}'", total, failures, failuresPath);

        var columns = info.Tasks.SelectMany(t => t.Terms).Distinct(StringComparer.Ordinal).ToList();
        string Cells(TermsModelTask task, Func<int, double> value) => string.Join(",", columns.Select(c =>
        {
            int k = Array.IndexOf(task.Terms, c);
            return k < 0 ? "0" : value(k).ToString("F4", CultureInfo.InvariantCulture);
        }));
        var header = string.Join(",", columns.Select(c => Csv.Escape(c)));
        var rows = scores.Keys.Order().ToList();
        var text = new StringBuilder("path,bag,range,task," + header + "\n");
        foreach (var row in rows)
        {
            var task = TaskOf(row)!;
            var mr = m.Rows[row];
            text.Append(Csv.Line([m.FullPath(mr), BagOf(mr) ?? "", mr.Range?.ToString(CultureInfo.InvariantCulture) ?? range?.ToString(
                CultureInfo.InvariantCulture) ?? "", task.Name])).Append(',').Append(Cells(task, k => scores[row][k])).Append('\n');
        }
        AtomicFile.WriteText(outCsv, text.ToString());

        var bagged = rows.Where(r => BagOf(m.Rows[r]) is not null).GroupBy(r => (bag: BagOf(m.Rows[r])!, task: TaskOf(r)!)).ToList();
        string? bagsPath = null;
        if (bagged.Count > 0)
        {
            bagsPath = bagsCsv ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(outCsv))!,
                Path.GetFileNameWithoutExtension(outCsv) + ".bags.csv");
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(bagsPath))!);
            var bags = new StringBuilder("bag,range,task,images," + header + "\n");
            foreach (var g in bagged)
            {
                var members = g.ToList();
                var task = g.Key.task;
                bags.Append(Csv.Line([g.Key.bag, task.Range?.ToString(CultureInfo.InvariantCulture) ?? "", task.Name,
                    members.Count.ToString(CultureInfo.InvariantCulture)])).Append(',')
                    .Append(Cells(task, k => members.Average(r => scores[r][k]))).Append('\n');
            }
            AtomicFile.WriteText(bagsPath, bags.ToString());
        }
        return new Result(rows.Count, total, failures, failuresPath, bagged.Count, bagsPath);
    }

    /// <summary>An image's bag id as the bag workflow spells it: its bag column, else GENE_RANGE, else none.</summary>
    public static string? BagOf(ManifestRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (row.Bag is not null) return row.Bag;
        return row.Gene is { } gene && row.Range is { } range ? $"{gene}_{range.ToString(CultureInfo.InvariantCulture)}" : null;
    }
}
