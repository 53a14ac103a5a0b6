using InSitu.Data;

namespace InSitu.Workflows.Bags;

/// <summary>
/// One seed's view of a <see cref="BagSet"/>: which bags train, select (validation: thresholds and the best epoch) and test,
/// and the attributes chosen on the training bags. Splits come from the manifest's split column; without one, the bags are
/// split by the config's shares (the paper's 45 / 5 / 50) with the seed, grouped by gene (all bags of a gene in one split)
/// and stratified by range. The parts of a split bag always share their source's split.
/// </summary>
public sealed class BagData
{
    private readonly Dictionary<string, float[]> _targets;
    private readonly string[] _split;

    private BagData(BagSet set, AttributeSet attributes, int seed, List<int> train, List<int> val, List<int> test)
    {
        (Set, Attributes, Seed, Train, Val, Test) = (set, attributes, seed, train, val, test);
        _targets = set.Bags.ToDictionary(b => b.Id, attributes.Target, StringComparer.Ordinal);
        _split = new string[set.Bags.Count];
        foreach (var (name, list) in new[] { ("train", train), ("val", val), ("test", test) })
            foreach (var b in list) _split[b] = name;
    }

    public BagSet Set { get; }
    public AttributeSet Attributes { get; }
    public int Seed { get; }
    /// <summary>Indices into <see cref="BagSet.Bags"/>.</summary>
    public IReadOnlyList<int> Train { get; }
    public IReadOnlyList<int> Val { get; }
    public IReadOnlyList<int> Test { get; }

    public BagRecord Bag(int index) => Set.Bags[index];

    /// <summary>The split of every bag (train, val or test), by bag index.</summary>
    public string SplitOf(int bag) => _split[bag];

    public static BagData Load(BagSet set, BagConfig config, int seed, TermVocabulary? vocabulary)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(config);
        var split = SplitOfSources(set, config, seed);
        var train = new List<int>();
        var val = new List<int>();
        var test = new List<int>();
        for (int i = 0; i < set.Bags.Count; i++)
            (split[set.Bags[i].Source] switch { "train" => train, "val" => val, _ => test }).Add(i);
        foreach (var (name, list) in new[] { ("train", train), ("val", val), ("test", test) })
            if (list.Count == 0)
                throw new InvalidDataException($"no bags in the {name} split ({set.Sources.Count} bags in all); a bag model needs " +
                    "training, validation and test bags");
        var attributes = AttributeSet.Choose(train.Select(i => set.Bags[i]).ToList(), config.Attributes, vocabulary);
        return new BagData(set, attributes, seed, train, val, test);
    }

    private static Dictionary<string, string> SplitOfSources(BagSet set, BagConfig config, int seed)
    {
        var sources = set.Bags.GroupBy(b => b.Source).Select(g => g.First()).ToList();
        if (sources[0].Split is not null) return sources.ToDictionary(b => b.Source, b => b.Split!, StringComparer.Ordinal);
        // one row per bag: SplitMaker groups by gene and stratifies by range, so shares are shares of bags
        var perBag = new Manifest(sources.Select(b => new ManifestRow(b.Source, Range: b.Range, Gene: b.Gene)), set.Manifest.BaseDirectory);
        var made = SplitMaker.Split(perBag, config.TrainShare, config.ValidationShare, config.TestShare, seed);
        return sources.Select((b, i) => (b.Source, made.Rows[i].Split!)).ToDictionary(p => p.Source, p => p.Item2, StringComparer.Ordinal);
    }

    /// <summary>The bag's multi-hot target over the attributes.</summary>
    public float[] Target(string bagId) => _targets[bagId];

    /// <summary>Single images with their bag's target, shuffled and augmented: the CNN's training set.</summary>
    public ImageBatchLoader TrainingImages(BagConfig config, int batchSize, DecodedImageCache cache)
    {
        ArgumentNullException.ThrowIfNull(config);
        var rows = Train.SelectMany(b => Set.Bags[b].Rows).ToList();
        return new ImageBatchLoader(Set.Manifest, config.Loader(batchSize, augment: true, Seed), rows: rows, cache: cache,
            targets: row => _targets[row.Bag!]);
    }

    /// <summary>
    /// Bags in order, unaugmented (for features, validation and testing), or augmented as in training, drawn from the
    /// stream of <paramref name="view"/> (another view, other draws).
    /// </summary>
    public BagBatchSource Bags(IReadOnlyList<int> bags, BagConfig config, DecodedImageCache cache, int batchSize = 8, int? view = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var rows = bags.SelectMany(b => Set.Bags[b].Rows).ToList();
        var options = view is { } v
            ? config.Loader(batchSize, augment: true, Seed * 1000 + 100 + v) with { Shuffle = false }
            : config.Loader(batchSize, augment: false, Seed);
        return new BagBatchSource(Set.Manifest, options, rows: rows, cache: cache);
    }

    /// <summary>Whether any of the bags has two images (a warm-up pair).</summary>
    public bool HasPairs(IEnumerable<int> bags) => bags.Any(b => Set.Bags[b].Rows.Length >= 2);

    /// <summary>Two augmented images of each training bag that has two, a new pair each epoch: the warm-up's views.</summary>
    public BagBatchSource WarmupPairs(IReadOnlyList<int> bags, BagConfig config, int batchSize, DecodedImageCache cache, bool augment)
    {
        ArgumentNullException.ThrowIfNull(config);
        var rows = bags.Where(b => Set.Bags[b].Rows.Length >= 2).SelectMany(b => Set.Bags[b].Rows).ToList();
        if (rows.Count == 0) throw new InvalidDataException("the warm-up pairs two images of one bag, and no bag has two");
        var options = config.Loader(batchSize, augment, Seed) with { Shuffle = true };
        return new BagBatchSource(Set.Manifest, options, rows: rows, cache: cache, maxInstances: 2);
    }
}
