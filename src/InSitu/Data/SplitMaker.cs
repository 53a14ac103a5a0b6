using System.Globalization;
namespace InSitu.Data;

/// <summary>
/// Seeded train/val/test splits, stratified by the most precise label a manifest has (stage, else range, else
/// label) and grouped by gene: all images of one gene land in one split, so no gene leaks from training into
/// evaluation. Rows without a gene are their own groups.
/// </summary>
public static class SplitMaker
{
    public static Manifest Split(Manifest manifest, double train, double val, double test, int seed)
    {
        if (train < 0 || val < 0 || test < 0 || Math.Abs(train + val + test - 1) > 1e-6)
            throw new ArgumentException($"split fractions must be non-negative and sum to 1, got {train}/{val}/{test}");
        if (manifest.Rows.Count == 0) throw new ArgumentException("the manifest has no rows to split");
        string Stratum(ManifestRow r)
            => r.Stage?.ToString(CultureInfo.InvariantCulture) ?? r.Range?.ToString(CultureInfo.InvariantCulture) ?? r.Label ?? "";
        string Group(ManifestRow r, int i) => r.Gene is null ? $"\u0001row{i}" : "gene:" + r.Gene;

        var groups = manifest.Rows.Select((r, i) => (r, i)).GroupBy(x => Group(x.r, x.i))
            .Select(g => (key: g.Key, rows: g.Select(x => x.i).ToList(),
                // A gene's images may span strata; it is placed by its most common one.
                stratum: g.GroupBy(x => Stratum(x.r)).OrderByDescending(s => s.Count())
                    .ThenBy(s => s.Key, StringComparer.Ordinal).First().Key))
            .ToList();
        var rng = new Random(seed);
        var assignment = new string[manifest.Rows.Count];
        var targets = new[] { ("train", train), ("val", val), ("test", test) };
        foreach (var stratum in groups.GroupBy(g => g.stratum).OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            var shuffled = stratum.OrderBy(g => g.key, StringComparer.Ordinal).ToList();
            for (int i = shuffled.Count - 1; i > 0; i--)
            {
                int j = rng.Next(i + 1);
                (shuffled[i], shuffled[j]) = (shuffled[j], shuffled[i]);
            }
            int total = shuffled.Sum(g => g.rows.Count);
            var filled = new Dictionary<string, int> { ["train"] = 0, ["val"] = 0, ["test"] = 0 };
            foreach (var g in shuffled)
            {
                // Each group goes where it is most below its target share, so strata approach the fractions.
                var (name, _) = targets.Where(t => t.Item2 > 0)
                    .OrderBy(t => (filled[t.Item1] + g.rows.Count / 2.0) / total - t.Item2).First();
                filled[name] += g.rows.Count;
                foreach (var i in g.rows) assignment[i] = name;
            }
        }
        return manifest.WithRows(manifest.Rows.Select((r, i) => r with { Split = assignment[i] }));
    }
}
