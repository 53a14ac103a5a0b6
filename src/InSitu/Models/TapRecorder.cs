using InSitu.Torch;

namespace InSitu.Models;

/// <summary>
/// Collects the requested tap outputs while a network runs its forward pass, and says when the last one has been
/// seen so that the pass can stop there.
/// </summary>
internal sealed class TapRecorder
{
    private readonly Dictionary<string, List<string>> _askedAs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tensor> _seen = new(StringComparer.Ordinal);

    public TapRecorder(IHasTapPoints network, IReadOnlyCollection<string> names)
    {
        if (names.Count == 0) throw new ArgumentException("no tap point was asked for");
        foreach (var name in names.Distinct(StringComparer.Ordinal))
        {
            var canonical = network.ResolveTap(name);
            if (!_askedAs.TryGetValue(canonical, out var list)) _askedAs[canonical] = list = new List<string>();
            list.Add(name);
        }
    }

    /// <summary>Offers the output reached at tap point <paramref name="canonical"/>; true once every requested one is in.</summary>
    public bool Offer(string canonical, Tensor output)
    {
        if (_askedAs.ContainsKey(canonical) && !_seen.ContainsKey(canonical)) _seen[canonical] = output;
        return _seen.Count == _askedAs.Count;
    }

    /// <summary>Whether tap point <paramref name="canonical"/> was asked for and not yet seen.</summary>
    public bool Wants(string canonical) => _askedAs.ContainsKey(canonical) && !_seen.ContainsKey(canonical);

    /// <summary>Whether <paramref name="t"/> is a recorded output (the forward pass must not free it).</summary>
    public bool Holds(Tensor t) => _seen.Values.Any(s => ReferenceEquals(s, t));

    /// <summary>Frees an intermediate the forward pass is done with, unless it is the caller's input or a recorded output.</summary>
    public static void Release(TapRecorder? recorder, Tensor t, Tensor input)
    {
        if (!ReferenceEquals(t, input) && !(recorder?.Holds(t) ?? false)) t.Dispose();
    }

    /// <summary>The requested outputs keyed as asked, moved out of <paramref name="scope"/> (a second name gets an alias).</summary>
    public Dictionary<string, Tensor> Collect(DisposeScope scope)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (canonical, names) in _askedAs)
        {
            if (!_seen.TryGetValue(canonical, out var t))
                throw new InvalidOperationException($"the forward pass never reached tap point '{canonical}'");
            for (int i = 0; i < names.Count; i++) result[names[i]] = scope.MoveToOuter(i == 0 ? t : t.Alias());
        }
        return result;
    }

    /// <summary>
    /// The canonical name of <paramref name="name"/> among <paramref name="canonical"/> tap points and
    /// <paramref name="aliases"/>, or an error listing them.
    /// </summary>
    public static string Resolve(string name, IReadOnlyList<string> canonical, IReadOnlyDictionary<string, string> aliases,
        string network)
    {
        if (canonical.Contains(name, StringComparer.Ordinal)) return name;
        if (aliases.TryGetValue(name, out var c)) return c;
        throw new ArgumentException($"{network} has no tap point '{name}' (tap points: {string.Join(", ", canonical)}; " +
            "`insitu weights taps` lists their aliases too)");
    }
}
