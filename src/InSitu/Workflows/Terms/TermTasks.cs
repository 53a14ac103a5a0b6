using System.Globalization;
using InSitu.Data;

namespace InSitu.Workflows.Terms;

/// <summary>
/// One annotation task of the paper's set-up: the images of one stage range (or of the whole manifest when it has no
/// ranges, "all") and the terms annotated on them, with the rows that train and the rows that test.
/// </summary>
public sealed record TermTask(string Name, int? Range, IReadOnlyList<string> Terms, IReadOnlyList<int> Train, IReadOnlyList<int> Test)
{
    /// <summary>The task as a file name: range-4-6, or all.</summary>
    public string Slug => Range is null ? Name : $"range-{Name}";
}

/// <summary>
/// The tasks of one manifest and split (METHODS.md section 4): per stage range 4-6 ... 13-17 the most frequent terms
/// (counted over all of the range's images, so every seed has the same terms), image-level labels inherited from the
/// bag (every image of a gene x range bag carries the union of the bag's terms), and splits grouped by gene (the
/// manifest's own split column, or a seeded one). Refused with one line naming the fix: a manifest without terms, a
/// term that no training image of its range carries (or that all carry), a range without training or test images.
/// </summary>
public sealed class TermTaskSet
{
    private readonly HashSet<string>[] _rowTerms;
    private readonly Dictionary<string, int> _genes = new(StringComparer.Ordinal);
    private readonly Dictionary<ManifestRow, int> _index = new(ReferenceEqualityComparer.Instance);

    private TermTaskSet(Manifest manifest, HashSet<string>[] rowTerms, List<TermTask> tasks)
    {
        (Manifest, _rowTerms, Tasks) = (manifest, rowTerms, tasks);
        Rows = tasks.SelectMany(t => t.Train.Concat(t.Test)).Distinct().Order().ToList();
        AllTerms = tasks.SelectMany(t => t.Terms).Distinct(StringComparer.Ordinal).ToList();
        TrainRows = tasks.SelectMany(t => t.Train).Distinct().Order().ToList();
        for (int i = 0; i < manifest.Rows.Count; i++) _index[manifest.Rows[i]] = i;
    }

    /// <summary>The manifest with its splits (made here when it had none).</summary>
    public Manifest Manifest { get; }
    public IReadOnlyList<TermTask> Tasks { get; }

    /// <summary>Every row some task uses, in manifest order: the rows of a feature file.</summary>
    public IReadOnlyList<int> Rows { get; }

    /// <summary>Every training row of any task (the fine-tuning set).</summary>
    public IReadOnlyList<int> TrainRows { get; }

    /// <summary>The union of the tasks' terms, in task order: the outputs of the multi-task network.</summary>
    public IReadOnlyList<string> AllTerms { get; }

    /// <summary>Whether the row carries the term (its own or, through its bag, inherited).</summary>
    public bool Has(int row, string term) => _rowTerms[row].Contains(term);

    /// <summary>A group id per row for grouped inner validation: its gene, or the row itself when it has none.</summary>
    public int Group(int row)
    {
        var gene = Manifest.Rows[row].Gene;
        var key = gene is null ? $"\u0001{row}" : "gene:" + gene;
        if (!_genes.TryGetValue(key, out var id)) _genes[key] = id = _genes.Count;
        return id;
    }

    /// <summary>Multi-hot targets of a row over <paramref name="terms"/>.</summary>
    public float[] Targets(int row, IReadOnlyList<string> terms) => terms.Select(t => Has(row, t) ? 1f : 0f).ToArray();

    /// <summary>Multi-hot targets of one of this set's manifest rows (the instance a loader hands back) over <paramref
    /// name="terms"/>.</summary>
    public float[] Targets(ManifestRow row, IReadOnlyList<string> terms) => Targets(_index[row], terms);

    public static string RangeName(int range) => StageRanges.Names[range - 1];

    /// <summary>Sets up the tasks of <paramref name="manifest"/> for one seed.</summary>
    public static TermTaskSet Build(Manifest manifest, TermsConfig config, int seed)
    {
        manifest = WithTerms(manifest, config);
        var where = manifest.SourceFile is { } f ? $"'{f}'" : "the manifest";
        if (!manifest.Rows.Any(r => r.Terms is { Count: > 0 }))
            throw new InvalidDataException($"{where} has no CV terms (column 'terms', ';'-separated): the terms workflow learns " +
                "to annotate images with terms, so it needs images annotated with them");
        var rowTerms = InheritedTerms(manifest);
        bool hasSplits = manifest.Rows.Any(r => r.Split is not null);
        var m = hasSplits ? manifest : SplitMaker.Split(manifest, 1 - config.TestShare, 0, config.TestShare, seed);
        bool ranged = m.Rows.Any(r => r.Range is not null);
        var groups = ranged
            ? config.Ranges.Distinct().Order().Select(r => (name: RangeName(r), range: (int?)r,
                rows: Enumerable.Range(0, m.Rows.Count).Where(i => m.Rows[i].Range == r).ToList())).Where(g => g.rows.Count > 0).ToList()
            : [(name: "all", range: null, rows: Enumerable.Range(0, m.Rows.Count).ToList())];
        if (groups.Count == 0)
            throw new InvalidDataException($"{where} has no images of the stage ranges " +
                $"{string.Join(", ", config.Ranges.Select(RangeName))} " +
                "(config 'ranges')");
        var tasks = new List<TermTask>();
        foreach (var (name, range, rows) in groups)
        {
            var train = rows.Where(i => m.Rows[i].Split is "train" or "val").ToList();
            var test = rows.Where(i => m.Rows[i].Split is "test").ToList();
            var label = range is null ? "the manifest" : $"range {name}";
            if (train.Count == 0 || test.Count == 0)
                throw new InvalidDataException($"{label} has {train.Count} training and {test.Count} test images; both are needed " +
                    (hasSplits ? "(fix the 'split' column)" : "(give it images of more genes)"));
            var terms = ChooseTerms(config, name, rows, rowTerms, where);
            foreach (var term in terms)
            {
                int positives = train.Count(i => rowTerms[i].Contains(term));
                if (positives == 0)
                    throw new InvalidDataException($"term '{term}' appears in no training image of {label} ({train.Count} training " +
                        "images): choose terms that its training images carry (config 'terms'), fewer terms ('top_terms'), or " +
                        "another split");
                if (positives == train.Count)
                    throw new InvalidDataException($"term '{term}' is on every training image of {label}: there is nothing to tell " +
                        "apart; " +
                        "choose other terms (config 'terms')");
            }
            tasks.Add(new TermTask(name, range, terms, train, test));
        }
        return new TermTaskSet(m, rowTerms, tasks);
    }

    /// <summary>The configured terms of a task, or its most frequent ones (ties by name), counted over all its rows.</summary>
    private static List<string> ChooseTerms(TermsConfig config, string task, List<int> rows, HashSet<string>[] rowTerms, string where)
    {
        if (config.Terms is { } chosen && chosen.TryGetValue(task, out var list))
        {
            if (list.Length == 0) throw new InvalidDataException($"config 'terms' gives task {task} no terms");
            return list.Distinct(StringComparer.Ordinal).ToList();
        }
        var counts = rows.SelectMany(i => rowTerms[i]).GroupBy(t => t, StringComparer.Ordinal)
            .Select(g => (term: g.Key, count: g.Count())).OrderByDescending(p => p.count).ThenBy(p => p.term, StringComparer.Ordinal)
            .Take(config.TopTerms).Select(p => p.term).ToList();
        if (counts.Count == 0)
            throw new InvalidDataException($"{where}: no image of {(task == "all" ? "the manifest" : "range " + task)} has terms");
        return counts;
    }

    /// <summary>
    /// The manifest as the workflow reads its terms: with <see cref="TermsConfig.LabelsAsTerms"/>, each row's class is its
    /// one term (a row without a class is named).
    /// </summary>
    public static Manifest WithTerms(Manifest manifest, TermsConfig config)
    {
        if (!config.LabelsAsTerms) return manifest;
        for (int i = 0; i < manifest.Rows.Count; i++)
            if (string.IsNullOrEmpty(manifest.Rows[i].Label))
                throw new InvalidDataException($"{manifest.Where(i) ?? manifest.Rows[i].Path}: no class (column 'label'), which " +
                    "labels_as_terms makes the image's term");
        return manifest.WithRows(manifest.Rows.Select(r => r with { Terms = [r.Label!] }));
    }

    /// <summary>Each row's terms: the union over its bag (gene x range) where the manifest has bags, else its own.</summary>
    public static HashSet<string>[] InheritedTerms(Manifest manifest)
    {
        var byBag = manifest.Rows.Where(r => r.Bag is not null).GroupBy(r => r.Bag!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.SelectMany(r => r.Terms ?? []).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        return manifest.Rows.Select(r => r.Bag is { } b ? byBag[b] : (r.Terms ?? []).ToHashSet(StringComparer.Ordinal)).ToArray();
    }

    /// <summary>Training rows of the fine-tuning split: a share of the genes held out for choosing the epoch.</summary>
    public (List<int> train, List<int> val) FinetuneSplit(double share, int seed)
    {
        var sub = new Manifest(TrainRows.Select(i => Manifest.Rows[i] with { Split = null }), Manifest.BaseDirectory);
        var split = SplitMaker.Split(sub, 1 - share, share, 0, seed + 7919);
        var train = new List<int>();
        var val = new List<int>();
        for (int k = 0; k < TrainRows.Count; k++) (split.Rows[k].Split == "val" ? val : train).Add(TrainRows[k]);
        if (val.Count == 0 || train.Count == 0)
            throw new InvalidDataException($"the {TrainRows.Count} training images cannot be split for fine-tuning " +
                $"(validation_share {share.ToString(CultureInfo.InvariantCulture)}): give more images of more genes");
        return (train, val);
    }
}
