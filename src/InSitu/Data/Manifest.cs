using System.Globalization;
using InSitu.Torch;

namespace InSitu.Data;

/// <summary>One image of a dataset with whatever labels it has.</summary>
public sealed record ManifestRow(
    string Path,
    string? Label = null,
    int? Stage = null,
    int? Range = null,
    string? Gene = null,
    string? View = null,
    IReadOnlyList<string>? Terms = null,
    string? Bag = null,
    string? Split = null);

/// <summary>
/// The one dataset description every command reads: a CSV with a header
/// <c>path,label,stage,range,gene,view,terms,bag,split</c>. Only <c>path</c> is required; paths are relative to
/// the manifest's folder (or absolute). stage is the precise stage 1..17, range the stage range 1..6 (1-3, 4-6,
/// 7-8, 9-10, 11-12, 13-17), terms are ';'-separated CV terms, split is train, val or test.
/// </summary>
public sealed class Manifest
{
    public static readonly string[] Columns = { "path", "label", "stage", "range", "gene", "view", "terms", "bag", "split" };
    private static readonly HashSet<string> Views = new(StringComparer.OrdinalIgnoreCase) { "lateral", "dorsal", "ventral" };
    private static readonly HashSet<string> Splits = new(StringComparer.OrdinalIgnoreCase) { "train", "val", "test" };

    public Manifest(IEnumerable<ManifestRow> rows, string baseDirectory)
    {
        Rows = rows.ToList();
        BaseDirectory = System.IO.Path.GetFullPath(baseDirectory);
    }

    private Manifest(List<ManifestRow> rows, string baseDirectory, string file, int[] lines) : this(rows, baseDirectory)
    {
        (SourceFile, _lines) = (file, lines);
    }

    private readonly int[]? _lines;

    public List<ManifestRow> Rows { get; }
    public string BaseDirectory { get; }

    /// <summary>The CSV file this manifest was read from, when it was read from one.</summary>
    public string? SourceFile { get; }

    /// <summary>
    /// Where row <paramref name="row"/> came from, as FILE:LINE for error messages; null for a manifest made in code.
    /// </summary>
    public string? Where(int row) => _lines is null || SourceFile is null ? null : $"{SourceFile}:{_lines[row]}";

    /// <summary>The same rows with changed labels or splits, one for one: where each came from is kept.</summary>
    public Manifest WithRows(IEnumerable<ManifestRow> rows)
    {
        var list = rows.ToList();
        if (list.Count != Rows.Count) throw new ArgumentException($"{list.Count} rows given for a manifest of {Rows.Count}");
        return _lines is null || SourceFile is null
            ? new Manifest(list, BaseDirectory)
            : new Manifest(list, BaseDirectory, SourceFile, _lines);
    }

    public string FullPath(ManifestRow row) => System.IO.Path.GetFullPath(System.IO.Path.Combine(BaseDirectory, row.Path));

    /// <summary>Reads and validates a manifest; any problem raises an error naming the file and line.</summary>
    public static Manifest Load(string file)
    {
        if (!File.Exists(file)) throw new InvalidDataException($"manifest '{file}' does not exist");
        using var reader = new StreamReader(file);
        var records = Csv.Read(reader).ToList();
        if (records.Count == 0)
            throw new InvalidDataException($"{file}: empty manifest (expected a header line: {string.Join(",", Columns)})");
        var header = records[0].fields.Select(h => h.Trim().ToLowerInvariant()).ToList();
        if (!header.Contains("path"))
            throw new InvalidDataException($"{file}:1: the header has no 'path' column (columns: {string.Join(",", Columns)})");
        foreach (var h in header)
            if (!Columns.Contains(h))
                throw new InvalidDataException($"{file}:1: unknown column '{h}' (known: {string.Join(",", Columns)})");
        if (header.GroupBy(h => h).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new InvalidDataException($"{file}:1: column '{twice.Key}' appears twice in the header; keep one");
        int Col(string name) => header.IndexOf(name);
        var baseDirectory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(file))!;
        // one image however it is spelled (./x.png, sub/../x.png, x.png/): compared by canonical full path
        var seen = new Dictionary<string, (int line, string path)>(StringComparer.Ordinal);
        var rows = new List<ManifestRow>();
        var lines = new List<int>();
        foreach (var (line, f) in records.Skip(1))
        {
            if (f.Count == 1 && f[0].Length == 0) continue; // blank line
            if (f.Count != header.Count)
                throw new InvalidDataException($"{file}:{line}: {f.Count} fields, but the header has {header.Count}");
            string? Get(string name)
            {
                int i = Col(name);
                if (i < 0) return null;
                var v = f[i].Trim();
                return v.Length == 0 ? null : v;
            }
            int? Int(string name, int lo, int hi)
            {
                var v = Get(name);
                if (v is null) return null;
                if (!int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < lo || n > hi)
                    throw new InvalidDataException($"{file}:{line}: {name} '{v}' is not a whole number in {lo}..{hi}");
                return n;
            }
            var path = Get("path") ?? throw new InvalidDataException($"{file}:{line}: empty path");
            string canonical;
            try
            {
                canonical = Canonical(baseDirectory, path);
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
            {
                var shown = path.Replace("\0", "\\0", StringComparison.Ordinal);
                throw new InvalidDataException($"{file}:{line}: path '{shown}' is not a valid path: {e.Message}");
            }
            if (seen.TryGetValue(canonical, out var first))
                throw new InvalidDataException($"{file}:{line}: duplicate path '{path}' (first on line {first.line}" +
                    (first.path == path ? ")" : $" as '{first.path}'; both name '{canonical}')"));
            seen[canonical] = (line, path);
            int? stage = Int("stage", 1, 17), range = Int("range", 1, 6);
            if (stage is { } s && range is { } r && StageRanges.Of(s) != r)
                throw new InvalidDataException($"{file}:{line}: stage {s} lies in range {StageRanges.Of(s)} " +
                    $"({StageRanges.Names[StageRanges.Of(s) - 1]}), not in range {r}");
            var view = Get("view");
            if (view is not null && !Views.Contains(view))
                throw new InvalidDataException($"{file}:{line}: view '{view}' is not lateral, dorsal or ventral");
            var split = Get("split");
            if (split is not null && !Splits.Contains(split))
                throw new InvalidDataException($"{file}:{line}: split '{split}' is not train, val or test");
            var terms = Get("terms")?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            lines.Add(line);
            rows.Add(new ManifestRow(path, Get("label"), stage, range ?? (stage is { } st ? StageRanges.Of(st) : null), Get("gene"),
                view?.ToLowerInvariant(), terms, Get("bag"), split?.ToLowerInvariant()));
        }
        return new Manifest(rows, baseDirectory, System.IO.Path.GetFullPath(file), lines.ToArray());
    }

    /// <summary>
    /// The full path a manifest entry names, spelled one way: relative to the manifest's folder, without a trailing
    /// separator.
    /// </summary>
    internal static string Canonical(string baseDirectory, string path) =>
        System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(System.IO.Path.Combine(baseDirectory, path)));

    /// <summary>Writes the manifest atomically, with paths relative to its own folder.</summary>
    public void Save(string file)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(file))!;
        Directory.CreateDirectory(dir);
        var lines = new List<string> { string.Join(",", Columns) };
        foreach (var r in Rows)
        {
            var rel = System.IO.Path.GetRelativePath(dir, FullPath(r));
            lines.Add(Csv.Line(new[]
            {
                rel, r.Label ?? "", r.Stage?.ToString(CultureInfo.InvariantCulture) ?? "",
                    r.Range?.ToString(CultureInfo.InvariantCulture) ?? "",
                r.Gene ?? "", r.View ?? "", r.Terms is null ? "" : string.Join(";", r.Terms), r.Bag ?? "", r.Split ?? "",
            }));
        }
        AtomicFile.WriteText(file, string.Join("\n", lines) + "\n");
    }
}
