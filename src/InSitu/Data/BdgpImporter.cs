using System.Globalization;
using System.Text;

namespace InSitu.Data;

/// <summary>
/// Builds a manifest from the BDGP/FlyExpress tables (standard_images.csv: gene,stage,direction,image_url and
/// standard_annotations.csv: gene,stage,annotation; stage is the range index 1..6, image_url and annotation are
/// Python tuple strings) joined with a folder of images. Every image of one gene in one range forms a bag
/// ("GENE_RANGE") and inherits that bag's CV terms. Table rows whose image file is absent are counted, not kept.
/// </summary>
public static class BdgpImporter
{
    public sealed record Result(Manifest Manifest, int ImagesInTables, int Missing, IReadOnlyList<string> MissingExamples);

    public static Result Import(string imagesTable, string annotationsTable, string imageFolder, string manifestDirectory)
    {
        foreach (var f in new[] { imagesTable, annotationsTable })
            if (!File.Exists(f)) throw new FileNotFoundException($"BDGP table '{f}' does not exist", f);
        if (!Directory.Exists(imageFolder)) throw new DirectoryNotFoundException($"image folder '{imageFolder}' does not exist");
        // each real folder once (link loops), dangling links and temporary files left out, sorted: the first of two
        // files with one name is always the same one
        var files = FolderWalker.Walk(imageFolder).Files
            .GroupBy(Path.GetFileName, StringComparer.Ordinal).ToDictionary(g => g.Key!, g => g.First(), StringComparer.Ordinal);

        var terms = new Dictionary<(string gene, int range), string[]>();
        foreach (var (line, row) in Table(annotationsTable, "gene", "stage", "annotation"))
            terms[(row[0], Range(annotationsTable, line, row[1]))] = ParseTuple(annotationsTable, line, row[2]).ToArray();

        var rows = new List<ManifestRow>();
        var missing = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int total = 0;
        foreach (var (line, row) in Table(imagesTable, "gene", "stage", "direction", "image_url"))
        {
            string gene = row[0], view = row[2].ToLowerInvariant();
            int range = Range(imagesTable, line, row[1]);
            foreach (var name in ParseTuple(imagesTable, line, row[3]))
            {
                total++;
                if (!files.TryGetValue(name, out var path))
                {
                    missing.Add(name);
                    continue;
                }
                if (!seen.Add(path)) continue; // an image listed twice is kept once
                rows.Add(new ManifestRow(Path.GetRelativePath(manifestDirectory, Path.GetFullPath(path)), Range: range, Gene: gene,
                    View: view is "lateral" or "dorsal" or "ventral" ? view : null,
                    Terms: terms.GetValueOrDefault((gene, range), Array.Empty<string>()), Bag: $"{gene}_{range}"));
            }
        }
        return new Result(new Manifest(rows, manifestDirectory), total, missing.Count, missing.Take(5).ToList());
    }

    internal static int Range(string file, int line, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var r) && r is >= 1 and <= 6
            ? r
            : throw new InvalidDataException($"{file}:{line}: stage range '{value}' is not in 1..6");

    internal static IEnumerable<(int line, List<string> row)> Table(string file, params string[] columns)
    {
        using var reader = new StreamReader(file);
        bool header = true;
        int[] index = Array.Empty<int>();
        foreach (var (line, f) in Csv.Read(reader))
        {
            if (header)
            {
                var names = f.Select(h => h.Trim()).ToList();
                index = columns.Select(c => names.IndexOf(c)).ToArray();
                for (int i = 0; i < columns.Length; i++)
                    if (index[i] < 0)
                        throw new InvalidDataException($"{file}:1: column '{columns[i]}' is missing (expected " +
                            $"{string.Join(",", columns)})");
                header = false;
                continue;
            }
            if (f.Count == 1 && f[0].Length == 0) continue;
            if (f.Count <= index.Max()) throw new InvalidDataException($"{file}:{line}: too few fields");
            yield return (line, index.Select(i => f[i].Trim()).ToList());
        }
    }

    /// <summary>The strings of a Python tuple literal such as "('a.bmp',)" or "('it\'s', \"b\")".</summary>
    public static List<string> ParseTuple(string file, int line, string text)
    {
        var result = new List<string>();
        int i = 0;
        while (i < text.Length)
        {
            char q = text[i];
            if (q != '\'' && q != '"')
            {
                i++;
                continue;
            }
            var sb = new StringBuilder();
            i++;
            while (true)
            {
                if (i >= text.Length) throw new InvalidDataException($"{file}:{line}: unterminated string in {text}");
                char c = text[i++];
                if (c == '\\' && i < text.Length) sb.Append(text[i++]);
                else if (c == q) break;
                else sb.Append(c);
            }
            result.Add(sb.ToString());
        }
        return result;
    }
}
