using InSitu.Data;

namespace InSitu.Workflows.Bags;

/// <summary>
/// The attributes a bag model predicts (CV terms, in output order) and the stage masks learned from the training labels:
/// attribute m is possible in stage range r when some training bag of range r has it (the paper's Table II, learned rather
/// than typed in; a range without training bags allows every attribute). An impossible attribute gets loss weight 0 and
/// prediction 0 in bags of that range. Bags without a range,
/// and models trained without masks, allow every attribute.
/// </summary>
public sealed record AttributeSet(IReadOnlyList<string> Terms, bool[][] PossibleByRange)
{
    public const int Ranges = 6;

    public int Count => Terms.Count;

    /// <summary>
    /// The attributes of a training set: the terms of <paramref name="vocabulary"/> in its order when one is given, else the
    /// <paramref name="count"/> terms found in the most training bags (ties by name); then the masks from those bags.
    /// </summary>
    public static AttributeSet Choose(IReadOnlyList<BagRecord> training, int count, TermVocabulary? vocabulary)
    {
        ArgumentNullException.ThrowIfNull(training);
        if (training.Count == 0) throw new InvalidDataException("there are no training bags to choose the attributes from");
        // parts of a split bag are one bag for counting
        var sources = training.GroupBy(b => b.Source).Select(g => g.First()).ToList();
        IReadOnlyList<string> terms = vocabulary is not null ? vocabulary.Terms
            : sources.SelectMany(b => b.Terms).GroupBy(t => t, StringComparer.Ordinal)
                .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Take(count).Select(g => g.Key).ToList();
        if (terms.Count == 0)
            throw new InvalidDataException("no training bag has any CV term (column 'terms'): there is nothing to learn");
        var possible = new bool[Ranges][];
        for (int r = 0; r < Ranges; r++) possible[r] = new bool[terms.Count];
        var index = terms.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i, StringComparer.Ordinal);
        var seen = new bool[Ranges];
        foreach (var bag in sources)
            if (bag.Range is { } range)
            {
                seen[range - 1] = true;
                foreach (var t in bag.Terms)
                    if (index.TryGetValue(t, out int m)) possible[range - 1][m] = true;
            }
        // a range no training bag shows says nothing about what is impossible in it
        for (int r = 0; r < Ranges; r++)
            if (!seen[r]) Array.Fill(possible[r], true);
        return new AttributeSet(terms, possible);
    }

    /// <summary>The bag's terms as a multi-hot vector over the attributes; other terms are not predicted and left out.</summary>
    public float[] Target(BagRecord bag)
    {
        ArgumentNullException.ThrowIfNull(bag);
        var target = new float[Count];
        var set = bag.Terms.ToHashSet(StringComparer.Ordinal);
        for (int m = 0; m < Count; m++)
            if (set.Contains(Terms[m])) target[m] = 1;
        return target;
    }

    /// <summary>1 where attribute m is possible in <paramref name="range"/>, else 0; all 1 without a range or without masks.</summary>
    public float[] Mask(int? range, bool useMasks)
    {
        var mask = new float[Count];
        for (int m = 0; m < Count; m++) mask[m] = !useMasks || range is null || PossibleByRange[range.Value - 1][m] ? 1 : 0;
        return mask;
    }
}
