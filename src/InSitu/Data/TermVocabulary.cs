namespace InSitu.Data;

/// <summary>
/// An ordered list of CV terms, the columns of multi-label targets: a row's (or a bag's) terms become a multi-hot
/// vector over it. A term outside the vocabulary is an error, never a silently dropped label.
/// </summary>
public sealed class TermVocabulary
{
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);

    public TermVocabulary(IEnumerable<string> terms)
    {
        Terms = terms.ToList();
        for (int i = 0; i < Terms.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(Terms[i])) throw new ArgumentException($"term {i + 1} of the vocabulary is empty");
            if (!_index.TryAdd(Terms[i], i)) throw new ArgumentException($"term '{Terms[i]}' is in the vocabulary twice");
        }
        if (Terms.Count == 0) throw new ArgumentException("the term vocabulary is empty");
    }

    public IReadOnlyList<string> Terms { get; }
    public int Count => Terms.Count;

    /// <summary>Every term of the rows, in ordinal order: a vocabulary when none is given.</summary>
    public static TermVocabulary FromRows(IEnumerable<ManifestRow> rows) =>
        new(rows.SelectMany(r => r.Terms ?? Array.Empty<string>()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));

    /// <summary>A vocabulary file as the FlyExpress importer reads it: one term per line, blank lines skipped.</summary>
    public static TermVocabulary Load(string file)
    {
        if (!File.Exists(file)) throw new FileNotFoundException($"term vocabulary '{file}' does not exist", file);
        return new TermVocabulary(File.ReadAllLines(file).Select(l => l.Trim()).Where(l => l.Length > 0));
    }

    public int IndexOf(string term) => _index.TryGetValue(term, out var i) ? i : -1;

    /// <summary>The row's terms as a multi-hot vector; a row without terms has none set.</summary>
    public float[] MultiHot(ManifestRow row)
    {
        var target = new float[Count];
        Set(target, row);
        return target;
    }

    /// <summary>The union of the rows' terms (a bag's), as a multi-hot vector.</summary>
    public float[] MultiHotUnion(IReadOnlyList<ManifestRow> rows)
    {
        var target = new float[Count];
        foreach (var row in rows) Set(target, row);
        return target;
    }

    private void Set(float[] target, ManifestRow row)
    {
        foreach (var term in row.Terms ?? Array.Empty<string>())
        {
            int i = IndexOf(term);
            if (i < 0)
                throw new InvalidDataException($"manifest row '{row.Path}': term '{term}' is not in the vocabulary of {Count} terms");
            target[i] = 1;
        }
    }
}
