namespace InSitu.Data;

/// <summary>Counts a manifest by label, precise stage, stage range, split, CV term and bag size.</summary>
public sealed record ManifestStats(
    int Images,
    SortedDictionary<string, int> ByLabel,
    SortedDictionary<int, int> ByStage,
    SortedDictionary<int, int> ByRange,
    SortedDictionary<string, int> BySplit,
    List<(string term, int images)> TopTerms,
    int Bags,
    SortedDictionary<int, int> BagSizes,
    int Genes)
{
    public static ManifestStats Of(Manifest m, int topTerms = 20)
    {
        SortedDictionary<TK, int> Count<TK>(IEnumerable<TK> keys) where TK : notnull
        {
            var d = new SortedDictionary<TK, int>();
            foreach (var k in keys) d[k] = d.GetValueOrDefault(k) + 1;
            return d;
        }
        var rows = m.Rows;
        var bags = rows.Where(r => r.Bag is not null).GroupBy(r => r.Bag!).ToList();
        var terms = rows.SelectMany(r => r.Terms ?? Array.Empty<string>()).GroupBy(t => t)
            .Select(g => (g.Key, g.Count())).OrderByDescending(t => t.Item2).ThenBy(t => t.Key, StringComparer.Ordinal)
                .Take(topTerms).ToList();
        return new ManifestStats(rows.Count,
            Count(rows.Where(r => r.Label is not null).Select(r => r.Label!)),
            Count(rows.Where(r => r.Stage is not null).Select(r => r.Stage!.Value)),
            Count(rows.Where(r => r.Range is not null).Select(r => r.Range!.Value)),
            Count(rows.Where(r => r.Split is not null).Select(r => r.Split!)),
            terms, bags.Count, Count(bags.Select(b => b.Count())),
            rows.Where(r => r.Gene is not null).Select(r => r.Gene).Distinct().Count());
    }
}
