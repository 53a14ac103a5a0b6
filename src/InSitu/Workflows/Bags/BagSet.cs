using System.Collections.Concurrent;
using System.Globalization;
using InSitu.Data;
using InSitu.Torch;

namespace InSitu.Workflows.Bags;

/// <summary>
/// One bag: the readable images of one gene at one stage range (rows of <see cref="BagSet.Manifest"/>), the union of their
/// CV terms, its range and split. A bag longer than the maximum is served as parts (<see cref="Id"/> "BAG#k") that share the
/// <see cref="Source"/> bag's terms; predictions are made per part and averaged back per source bag.
/// </summary>
public sealed record BagRecord(string Id, string Source, string? Gene, int? Range, string? Split, int[] Rows,
    IReadOnlyList<string> Terms);

/// <summary>
/// A manifest read as bags, with every problem of its input dealt with before any training starts:
/// <list type="bullet">
/// <item>each row's bag is its <c>bag</c> column, else GENE_RANGE from its gene and range; a row with neither is an error;</item>
/// <item>every image is decoded once (into the shared cache): unreadable ones are skipped and listed with their reason, and a
/// bag is kept when any of its images remains; a bag left empty is dropped and listed;</item>
/// <item>terms are checked against a vocabulary when one is given: a name must be one of its terms and a number an index
/// into it (0-based), else the error names the manifest line;</item>
/// <item>a bag's rows must agree on range and split;</item>
/// <item>a bag longer than <see cref="BagConfig.MaxBagSize"/> is split into parts, or refused (<see cref="LongBagPolicy"/>).</item>
/// </list>
/// </summary>
public sealed class BagSet
{
    private BagSet(Manifest manifest, List<BagRecord> bags, List<(string, string)> skipped, List<(string, string)> dropped, int split)
    {
        (Manifest, Bags, SkippedImages, DroppedBags, SplitBags) = (manifest, bags, skipped, dropped, split);
    }

    /// <summary>The readable rows, each with its (part's) bag id and its resolved terms.</summary>
    public Manifest Manifest { get; }
    public IReadOnlyList<BagRecord> Bags { get; }
    /// <summary>Unreadable images: path and reason.</summary>
    public IReadOnlyList<(string Path, string Reason)> SkippedImages { get; }
    /// <summary>Bags none of whose images could be read: bag and reason.</summary>
    public IReadOnlyList<(string Bag, string Reason)> DroppedBags { get; }
    /// <summary>How many bags were longer than the maximum and split into parts.</summary>
    public int SplitBags { get; }

    /// <summary>The source bag ids, in the order of their first part.</summary>
    public IReadOnlyList<string> Sources => Bags.Select(b => b.Source).Distinct().ToList();

    public static BagSet Load(Manifest manifest, BagConfig config, TermVocabulary? vocabulary, DecodedImageCache cache)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(config);
        if (manifest.Rows.Count == 0) throw new InvalidDataException($"{Name(manifest)}: the manifest has no images");
        var ids = new string[manifest.Rows.Count];
        var terms = new IReadOnlyList<string>[manifest.Rows.Count];
        for (int i = 0; i < manifest.Rows.Count; i++)
        {
            var row = manifest.Rows[i];
            ids[i] = row.Bag ?? (row.Gene is { } g && row.Range is { } r ? $"{g}_{r.ToString(CultureInfo.InvariantCulture)}"
                : throw new InvalidDataException($"{Where(manifest, i)}: image '{row.Path}' has no bag, and no gene and range to " +
                    "make one (GENE_RANGE); add a 'bag' column, or 'gene' and 'range'"));
            terms[i] = Resolve(row.Terms ?? Array.Empty<string>(), vocabulary, manifest, i);
        }
        var unreadable = Scan(manifest, config, cache);
        var skipped = unreadable.OrderBy(u => u.Key).Select(u => (manifest.FullPath(manifest.Rows[u.Key]), u.Value)).ToList();

        var order = new List<string>();
        var members = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int i = 0; i < ids.Length; i++)
        {
            if (!members.TryGetValue(ids[i], out var list))
            {
                members[ids[i]] = list = new List<int>();
                order.Add(ids[i]);
            }
            list.Add(i);
        }
        var rows = new List<ManifestRow>();
        var bags = new List<BagRecord>();
        var dropped = new List<(string, string)>();
        int split = 0;
        foreach (var id in order)
        {
            var all = members[id];
            var readable = all.Where(i => !unreadable.ContainsKey(i)).ToList();
            if (readable.Count == 0)
            {
                dropped.Add((id, $"none of its {all.Count} image(s) could be read (e.g. {unreadable[all[0]]})"));
                continue;
            }
            int? range = Agree(manifest, all, i => manifest.Rows[i].Range?.ToString(CultureInfo.InvariantCulture), id, "stage ranges")
                is { } rr ? int.Parse(rr, CultureInfo.InvariantCulture) : null;
            var splitName = Agree(manifest, all, i => manifest.Rows[i].Split, id, "splits");
            var bagTerms = all.SelectMany(i => terms[i]).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            var gene = manifest.Rows[all[0]].Gene;
            var parts = Parts(readable, config, id, manifest);
            if (parts.Count > 1) split++;
            for (int p = 0; p < parts.Count; p++)
            {
                string partId = parts.Count == 1 ? id : $"{id}#{(p + 1).ToString(CultureInfo.InvariantCulture)}";
                var indices = new List<int>();
                foreach (var i in parts[p])
                {
                    indices.Add(rows.Count);
                    rows.Add(manifest.Rows[i] with { Bag = partId, Terms = terms[i] });
                }
                bags.Add(new BagRecord(partId, id, gene, range, splitName, indices.ToArray(), bagTerms));
            }
        }
        if (bags.Count == 0)
            throw new InvalidDataException($"{Name(manifest)}: no bag has a readable image ({skipped.Count} unreadable, e.g. " +
                $"{(skipped.Count > 0 ? $"{skipped[0].Item1}: {skipped[0].Item2}" : "none")})");
        if (bags.Any(b => b.Split is not null) && bags.FirstOrDefault(b => b.Split is null) is { } unsplit)
            throw new InvalidDataException($"{Name(manifest)}: bag '{unsplit.Source}' has no split while others have one; give every " +
                "image a split (train, val, test) or none");
        return new BagSet(new Manifest(rows, manifest.BaseDirectory), bags, skipped, dropped, split);
    }

    private static string Name(Manifest m) => m.SourceFile ?? "the manifest";

    private static string Where(Manifest m, int row) => m.Where(row) ?? $"{Name(m)} row {row + 1}";

    /// <summary>Terms as names of the vocabulary: a name must be one of its terms, a number an index into it.</summary>
    private static IReadOnlyList<string> Resolve(IReadOnlyList<string> terms, TermVocabulary? vocabulary, Manifest m, int row)
    {
        if (vocabulary is null) return terms;
        var resolved = new List<string>(terms.Count);
        foreach (var term in terms)
        {
            if (vocabulary.IndexOf(term) >= 0) resolved.Add(term);
            else if (int.TryParse(term, NumberStyles.Integer, CultureInfo.InvariantCulture, out int index))
            {
                if (index < 0 || index >= vocabulary.Count)
                    throw new InvalidDataException($"{Where(m, row)}: label {index} is outside the vocabulary's {vocabulary.Count} terms " +
                        $"(indices 0..{vocabulary.Count - 1})");
                resolved.Add(vocabulary.Terms[index]);
            }
            else
                throw new InvalidDataException($"{Where(m, row)}: unknown term '{term}': it is not in the vocabulary of " +
                    $"{vocabulary.Count} terms (fix the spelling, or add it to the --terms file)");
        }
        return resolved;
    }

    /// <summary>The value all of a bag's rows share (null when none has one); rows that disagree are an error.</summary>
    private static string? Agree(Manifest m, List<int> rows, Func<int, string?> value, string bag, string what)
    {
        var first = rows.FirstOrDefault(i => value(i) is not null, -1);
        if (first < 0) return null;
        var other = rows.FirstOrDefault(i => value(i) is { } v && v != value(first), -1);
        if (other >= 0)
            throw new InvalidDataException($"bag '{bag}' mixes {what} '{value(first)}' ({Where(m, first)}) and '{value(other)}' " +
                $"({Where(m, other)}); a bag is one gene in one stage range, in one split");
        return value(first);
    }

    private static List<List<int>> Parts(List<int> rows, BagConfig config, string id, Manifest m)
    {
        if (rows.Count <= config.MaxBagSize) return new List<List<int>> { rows };
        if (config.LongBags == LongBagPolicy.Refuse)
            throw new InvalidDataException($"{Name(m)}: bag '{id}' has {rows.Count} images, more than the maximum of " +
                $"{config.MaxBagSize} (max_bag_size); raise it, or set long_bags to split");
        int parts = (rows.Count + config.MaxBagSize - 1) / config.MaxBagSize;
        var result = new List<List<int>>();
        for (int p = 0, at = 0; p < parts; p++)
        {
            int size = rows.Count / parts + (p < rows.Count % parts ? 1 : 0);
            result.Add(rows.GetRange(at, size));
            at += size;
        }
        return result;
    }

    /// <summary>Decodes every image once, in parallel, into the cache; returns the rows that failed with the reason.</summary>
    private static Dictionary<int, string> Scan(Manifest manifest, BagConfig config, DecodedImageCache cache)
    {
        var options = config.Loader(1, augment: false, seed: 1);
        var loader = new ImageBatchLoader(manifest, options);
        var failed = new ConcurrentDictionary<int, string>();
        Parallel.For(0, manifest.Rows.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            try
            {
                cache.GetOrDecode(manifest.FullPath(manifest.Rows[i]), options, loader.LoadImage);
            }
            catch (Exception e) when (e is TorchException or IOException or UnauthorizedAccessException or InvalidDataException)
            {
                failed[i] = e.Message.ReplaceLineEndings(" ");
            }
        });
        return new Dictionary<int, string>(failed);
    }
}
