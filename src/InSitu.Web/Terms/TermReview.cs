using System.Globalization;
using InSitu.Common;
using InSitu.Data;

namespace InSitu.Web.Terms;

/// <summary>One review of a bag's terms, as kept in the manifest's term history: what the terms were and became.</summary>
public sealed record TermEdit(int Seq, DateTime Time, string Bag, string Action, string[] Before, string[] After, int? Undoes = null)
    : IUndoableEdit;

/// <summary>One attribute of a `bags predict` row: its probability and whether it passed the model's threshold.</summary>
public sealed record PredictedTerm(string Term, double Probability, bool Decided);

/// <summary>
/// Term review of gene-stage bags (W3/W4): the bags of a manifest (its <c>bag</c> column, else GENE_RANGE as `bags train`
/// forms them) beside a `bags predict` CSV (<c>bag,range,images,predicted_terms,TERM...</c>). Accepting or correcting a
/// bag writes its terms into the <c>terms</c> column of every row of the bag, atomically, in the manifest itself, so
/// `bags train MANIFEST` learns from the reviewed terms; each review is appended to MANIFEST.terms-history.jsonl
/// (undo reads it, and it says which bags were reviewed). Reviews of one manifest are serialised.
/// </summary>
public static class TermReview
{
    public const string PredictionHeader = "bag,range,images,predicted_terms";

    public static string HistoryOf(string manifest) => Path.ChangeExtension(manifest, null) + ".terms-history.jsonl";

    /// <summary>A row's bag as `bags train` names it: the bag column, else GENE_RANGE; null when it has neither.</summary>
    public static string? BagOf(ManifestRow row) =>
        row.Bag ?? (row.Gene is { } g && row.Range is { } r ? $"{g}_{r.ToString(CultureInfo.InvariantCulture)}" : null);

    /// <summary>Whether a CSV is a `bags predict` output (its header starts with the bag prediction columns).</summary>
    public static bool IsPrediction(string file)
    {
        if (!file.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)) return false;
        try
        {
            using var reader = new StreamReader(file);
            return reader.ReadLine()?.StartsWith(PredictionHeader, StringComparison.Ordinal) == true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Per bag, its predicted terms (most probable first); the attribute names are the file's columns after the fourth.</summary>
    public static (List<string> terms, Dictionary<string, List<PredictedTerm>> bags) ReadPredictions(string file)
    {
        using var reader = new StreamReader(file);
        var rows = Csv.Read(reader).ToList();
        if (rows.Count == 0 || !string.Join(",", rows[0].fields.Take(4)).Equals(PredictionHeader, StringComparison.Ordinal))
            throw new InvalidDataException($"'{file}' is not a `bags predict` output (its header must start with {PredictionHeader})");
        var terms = rows[0].fields.Skip(4).ToList();
        var bags = new Dictionary<string, List<PredictedTerm>>(StringComparer.Ordinal);
        foreach (var (line, fields) in rows.Skip(1))
        {
            if (fields.Count != terms.Count + 4)
                throw new InvalidDataException($"{file}:{line}: {fields.Count} fields where the header has {terms.Count + 4}");
            var decided = fields[3].Split(';', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
            var predicted = new List<PredictedTerm>();
            for (int m = 0; m < terms.Count; m++)
            {
                if (!double.TryParse(fields[m + 4], NumberStyles.Float, CultureInfo.InvariantCulture, out var p))
                    throw new InvalidDataException($"{file}:{line}: '{fields[m + 4]}' is not a probability (column {terms[m]})");
                predicted.Add(new PredictedTerm(terms[m], p, decided.Contains(terms[m])));
            }
            bags[fields[0]] = predicted.OrderByDescending(t => t.Probability).ThenBy(t => t.Term, StringComparer.Ordinal).ToList();
        }
        return (terms, bags);
    }

    /// <summary>The bags of a manifest in order of first appearance, with their rows.</summary>
    public static List<(string bag, List<int> rows)> Bags(Manifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var order = new List<(string bag, List<int> rows)>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < manifest.Rows.Count; i++)
        {
            if (BagOf(manifest.Rows[i]) is not { } bag) continue;
            if (!index.TryGetValue(bag, out var k)) (index[bag], k) = (order.Count, order.Count);
            if (k == order.Count) order.Add((bag, new List<int>()));
            order[k].rows.Add(i);
        }
        return order;
    }

    /// <summary>A bag's terms in the manifest: the union of its rows' (as `bags train` reads them), sorted.</summary>
    public static string[] TermsOf(Manifest manifest, IEnumerable<int> rows) =>
        rows.SelectMany(r => manifest.Rows[r].Terms ?? []).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

    /// <summary>Sets a bag's terms (accept: the predicted ones, correct: the user's) in every row of the bag.</summary>
    public static TermEdit Review(string manifestFile, string bag, string action, IReadOnlyList<string> terms)
    {
        if (action is not ("accept" or "correct")) throw new ArgumentException($"unknown review '{action}': use accept or correct");
        var clean = terms.Select(t => t.Trim()).Where(t => t.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .ToArray();
        foreach (var t in clean)
            if (t.Contains(';', StringComparison.Ordinal) || t.Contains('\n', StringComparison.Ordinal))
                throw new ArgumentException($"term '{t}' holds ';' or a line break, which separate terms in the manifest");
        lock (EditHistoryFile.LockOf(manifestFile))
        {
            var m = Manifest.Load(manifestFile);
            var rows = RowsOf(m, bag);
            return Apply(manifestFile, m, bag, rows, action, TermsOf(m, rows), clean, undoes: null);
        }
    }

    /// <summary>Undoes the latest review not yet undone; null when there is none. Refused when the bag changed since.</summary>
    public static TermEdit? Undo(string manifestFile)
    {
        lock (EditHistoryFile.LockOf(manifestFile))
        {
            var last = EditHistoryFile.LatestUndoable(Read(manifestFile));
            if (last is null) return null;
            var m = Manifest.Load(manifestFile);
            var rows = RowsOf(m, last.Bag);
            var now = TermsOf(m, rows);
            if (!now.SequenceEqual(last.After))
                throw new InvalidOperationException($"bag '{last.Bag}' was changed after review {last.Seq} (its terms are now " +
                    $"'{string.Join(";", now)}'); not undone");
            return Apply(manifestFile, m, last.Bag, rows, "undo", last.After, last.Before, last.Seq);
        }
    }

    /// <summary>The reviews in force: per bag, its latest review that was not undone.</summary>
    public static Dictionary<string, TermEdit> Reviewed(List<TermEdit> history)
    {
        var undone = EditHistoryFile.Undone(history);
        var reviewed = new Dictionary<string, TermEdit>(StringComparer.Ordinal);
        foreach (var h in history)
        {
            if (h.Undoes is { } u)
            {
                // an undo restores the review before the undone one, if any
                if (reviewed.TryGetValue(h.Bag, out var cur) && cur.Seq == u) reviewed.Remove(h.Bag);
                var earlier = history.LastOrDefault(e => e.Bag == h.Bag && e.Undoes is null && e.Seq < u && !undone.Contains(e.Seq));
                if (earlier is not null) reviewed[h.Bag] = earlier;
            }
            else if (!undone.Contains(h.Seq)) reviewed[h.Bag] = h;
        }
        return reviewed;
    }

    /// <summary>Every review in order; a line that cannot be read (a crash mid-append) is skipped.</summary>
    public static List<TermEdit> Read(string manifestFile) => EditHistoryFile.Read<TermEdit>(HistoryOf(manifestFile));

    private static List<int> RowsOf(Manifest m, string bag)
    {
        var rows = Enumerable.Range(0, m.Rows.Count).Where(i => BagOf(m.Rows[i]) == bag).ToList();
        return rows.Count > 0 ? rows : throw new WebErrors.NotFoundException($"no bag '{bag}' in {m.SourceFile}");
    }

    private static TermEdit Apply(string manifestFile, Manifest m, string bag, List<int> rows, string action, string[] before,
        string[] after, int? undoes)
    {
        var all = m.Rows.ToList();
        foreach (var r in rows) all[r] = all[r] with { Terms = after };
        m.WithRows(all).Save(manifestFile);
        var edit = new TermEdit(EditHistoryFile.NextSeq(Read(manifestFile)), DateTime.UtcNow, bag, action, before, after, undoes);
        EditHistoryFile.Append(HistoryOf(manifestFile), edit);
        return edit;
    }
}
