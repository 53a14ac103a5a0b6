using System.Globalization;

namespace InSitu.Data;

/// <summary>
/// Builds a manifest from a bag CSV in the FlyExpress challenge form: <c>gene_stage,labels,imgs</c>, one row per
/// bag. gene_stage is GENE_RANGE (range 1..6, split at the last '_'); labels are the bag's CV terms; imgs the
/// bag's image file names. Lists may be Python/JSON lists or tuples ("('a', 'b')", "[1, 5]"), or ';'- or
/// '|'-separated; a label list of bare numbers may also be space-separated. Numeric labels are term indices:
/// with a vocabulary file (one term per line, line 1 = index 0) they become term names, else they stay numbers.
/// With a vocabulary, a named label must be one of its terms. A bag that lists no image is an error naming its line.
/// </summary>
public static class FlyExpressBagImporter
{
    public sealed record Result(Manifest Manifest, int Bags, int ImagesInTable, int Missing, IReadOnlyList<string> MissingExamples);

    public static Result Import(string bagCsv, string imageFolder, string manifestDirectory, string? vocabularyFile = null)
    {
        if (!File.Exists(bagCsv)) throw new FileNotFoundException($"bag table '{bagCsv}' does not exist", bagCsv);
        if (!Directory.Exists(imageFolder)) throw new DirectoryNotFoundException($"image folder '{imageFolder}' does not exist");
        string[]? vocabulary = null;
        if (vocabularyFile is not null)
        {
            if (!File.Exists(vocabularyFile))
                throw new FileNotFoundException($"term vocabulary '{vocabularyFile}' does not exist", vocabularyFile);
            vocabulary = File.ReadAllLines(vocabularyFile).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        }
        // each real folder once (link loops), dangling links and temporary files left out, sorted: the first of two
        // files with one name is always the same one
        var files = FolderWalker.Walk(imageFolder).Files
            .GroupBy(Path.GetFileName, StringComparer.Ordinal).ToDictionary(g => g.Key!, g => g.First(), StringComparer.Ordinal);
        var rows = new List<ManifestRow>();
        var missing = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int bags = 0, total = 0;
        foreach (var (line, row) in BdgpImporter.Table(bagCsv, "gene_stage", "labels", "imgs"))
        {
            var key = row[0];
            int cut = key.LastIndexOf('_');
            if (cut <= 0
                || !int.TryParse(key[(cut + 1)..], NumberStyles.Integer, CultureInfo.InvariantCulture, out int range)
                || range is < 1 or > 6)
                throw new InvalidDataException($"{bagCsv}:{line}: gene_stage '{key}' is not GENE_RANGE with a range 1..6 (e.g. CG1234_3)");
            var gene = key[..cut];
            var terms = List(row[1], numbersMaySpace: true).Select(t => Term(t, vocabulary, bagCsv, line)).Distinct().ToArray();
            bags++;
            var names = List(row[2], numbersMaySpace: false);
            if (names.Count == 0)
                throw new InvalidDataException($"{bagCsv}:{line}: bag '{key}' lists no images (an empty bag); list its images or remove " +
                    "the row");
            foreach (var name in names)
            {
                total++;
                var file = Path.GetFileName(name);
                if (!files.TryGetValue(file, out var path))
                {
                    missing.Add(name);
                    continue;
                }
                if (!seen.Add(path)) continue;
                rows.Add(new ManifestRow(Path.GetRelativePath(manifestDirectory, Path.GetFullPath(path)), Range: range, Gene: gene,
                    Terms: terms, Bag: $"{gene}_{range}"));
            }
        }
        if (bags == 0) throw new InvalidDataException($"{bagCsv}: no bags (expected rows gene_stage,labels,imgs)");
        return new Result(new Manifest(rows, manifestDirectory), bags, total, missing.Count, missing.Take(5).ToList());
    }

    private static string Term(string label, string[]? vocabulary, string file, int line)
    {
        if (vocabulary is null) return label;
        if (!int.TryParse(label, NumberStyles.Integer, CultureInfo.InvariantCulture, out int index))
            return vocabulary.Contains(label, StringComparer.Ordinal) ? label
                : throw new InvalidDataException($"{file}:{line}: unknown term '{label}': it is not in the vocabulary (fix the spelling " +
                    $"or add it to the --terms file)");
        if (index < 0 || index >= vocabulary.Length)
            throw new InvalidDataException($"{file}:{line}: label {index} is outside the vocabulary's {vocabulary.Length} terms (indices " +
                $"0..{vocabulary.Length - 1})");
        return vocabulary[index];
    }

    /// <summary>The items of one list field in any of the accepted spellings.</summary>
    internal static List<string> List(string text, bool numbersMaySpace)
    {
        text = text.Trim();
        if (text.Length == 0) return new List<string>();
        if (text[0] is '(' or '[')
        {
            if (text.Contains('\'') || text.Contains('"')) return BdgpImporter.ParseTuple("", 0, text);
            text = text.Trim('(', ')', '[', ']');
            return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        }
        char? sep = text.Contains(';') ? ';' : text.Contains('|') ? '|' : null;
        if (sep is { } s) return text.Split(s, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        bool allNumbers = words.All(w => int.TryParse(w, NumberStyles.Integer, CultureInfo.InvariantCulture, out _));
        if (!numbersMaySpace || allNumbers) return words.ToList();
        return new List<string> { text };
    }
}
