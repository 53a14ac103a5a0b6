using InSitu.Data;

namespace InSitu.Synthesis;

/// <summary>One gene x stage-range bag of the real BDGP tables: how many images it holds and its CV terms.</summary>
public sealed record BdgpBag(string Gene, int Range, int Images, IReadOnlyList<string> Terms);

/// <summary>
/// The label side of the real BDGP tables (no pixels): every gene x range bag with its image count and CV terms.
/// The simulator draws whole bags from here, so genes, bag sizes, term frequencies per range and term
/// co-occurrence follow the real data by construction.
/// </summary>
public sealed class BdgpLabelTables
{
    public const string ImagesTable = "standard_images.csv";
    public const string AnnotationsTable = "standard_annotations.csv";

    private BdgpLabelTables(List<BdgpBag> bags, string folder)
    {
        Bags = bags;
        Folder = folder;
    }

    public IReadOnlyList<BdgpBag> Bags { get; }
    public string Folder { get; }

    public static BdgpLabelTables Load(string folder)
    {
        var images = Path.Combine(folder, ImagesTable);
        var annotations = Path.Combine(folder, AnnotationsTable);
        foreach (var f in new[] { images, annotations })
            if (!File.Exists(f))
                throw new FileNotFoundException($"BDGP label table '{f}' does not exist; pass --tables with the folder holding " +
                    $"{ImagesTable} and {AnnotationsTable} (e.g. ../shared/data/bdgp-annotations)", f);
        var terms = new Dictionary<(string, int), string[]>();
        foreach (var (line, row) in BdgpImporter.Table(annotations, "gene", "stage", "annotation"))
            terms[(row[0], BdgpImporter.Range(annotations, line, row[1]))] = BdgpImporter.ParseTuple(annotations, line, row[2]).ToArray();
        var counts = new Dictionary<(string gene, int range), int>();
        var order = new List<(string, int)>();
        foreach (var (line, row) in BdgpImporter.Table(images, "gene", "stage", "direction", "image_url"))
        {
            var key = (row[0], BdgpImporter.Range(images, line, row[1]));
            int n = BdgpImporter.ParseTuple(images, line, row[3]).Count;
            if (!counts.ContainsKey(key)) order.Add(key);
            counts[key] = counts.GetValueOrDefault(key) + n;
        }
        var bags = order.Where(k => counts[k] > 0)
            .Select(k => new BdgpBag(k.Item1, k.Item2, counts[k], terms.GetValueOrDefault(k, Array.Empty<string>()))).ToList();
        if (bags.Count == 0) throw new InvalidDataException($"'{images}' lists no images");
        return new BdgpLabelTables(bags, folder);
    }

    /// <summary>The tables in <paramref name="folder"/>, or where <see cref="Find"/> finds them when no folder is named.</summary>
    public static BdgpLabelTables LoadOrFind(string? folder) =>
        Load(folder ?? Find()
            ?? throw new FileNotFoundException("the BDGP label tables were not found; pass --tables FOLDER (the folder with " +
            $"{ImagesTable} and {AnnotationsTable}, e.g. ../shared/data/bdgp-annotations) or set INSITU_BDGP_TABLES"));

    /// <summary>
    /// Where the tables are when the user names none: $INSITU_BDGP_TABLES, else shared/data/bdgp-annotations or
    /// ../shared/data/bdgp-annotations above the current folder or the program's folder.
    /// </summary>
    public static string? Find()
    {
        if (Environment.GetEnvironmentVariable("INSITU_BDGP_TABLES") is { Length: > 0 } env) return env;
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                foreach (var candidate in new[] { Path.Combine(dir.FullName, "shared", "data", "bdgp-annotations"),
                             Path.Combine(dir.FullName, "..", "shared", "data", "bdgp-annotations") })
                    if (File.Exists(Path.Combine(candidate, ImagesTable))) return Path.GetFullPath(candidate);
        return null;
    }
}
