namespace InSitu.Web;

/// <summary>
/// The only folders the server reads or writes: "data" and "runs". A request names a file as ROOT/RELATIVE; it is
/// resolved with every symbolic link followed, and anything that is not inside its root afterwards (an absolute path,
/// a '..' segment, a link pointing out) is treated as absent, so the caller answers 404 and says nothing of what lies
/// outside.
/// </summary>
public sealed class FileRoots
{
    private const int MaxLinks = 40;
    private readonly Dictionary<string, string> _roots;

    public FileRoots(string data, string runs)
    {
        Directory.CreateDirectory(runs);
        _roots = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["data"] = RealPath(Path.GetFullPath(data)) ?? Path.GetFullPath(data),
            ["runs"] = RealPath(Path.GetFullPath(runs)) ?? Path.GetFullPath(runs),
        };
    }

    public string Data => _roots["data"];
    public string Runs => _roots["runs"];

    public IEnumerable<(string name, string path)> All => _roots.Select(r => (r.Key, r.Value));

    /// <summary>The server's own folder inside runs: jobs, label-queue state and caches.</summary>
    public string State => Path.Combine(Runs, ".insitu-web");

    /// <summary>
    /// The real full path of <paramref name="id"/> ("runs/demo/report.html"), or null when it does not name a place
    /// inside a root. The file need not exist (it may be about to be written); its folder's links are followed.
    /// </summary>
    public string? Resolve(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Contains('\0', StringComparison.Ordinal) || id.Contains('\\', StringComparison.Ordinal))
            return null;
        var slash = id.IndexOf('/', StringComparison.Ordinal);
        var (name, rest) = slash < 0 ? (id, "") : (id[..slash], id[(slash + 1)..]);
        if (!_roots.TryGetValue(name, out var root)) return null;
        var segments = rest.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Any(s => s is ".." or ".")) return null;
        var real = RealPath(segments.Length == 0 ? root : Path.Combine(root, string.Join('/', segments)));
        return real is not null && Inside(real, root) ? real : null;
    }

    /// <summary>As <see cref="Resolve"/>, for an existing file.</summary>
    public string? ResolveFile(string? id) => Resolve(id) is { } p && File.Exists(p) ? p : null;

    /// <summary>As <see cref="Resolve"/>, for an existing folder.</summary>
    public string? ResolveFolder(string? id) => Resolve(id) is { } p && Directory.Exists(p) ? p : null;

    /// <summary>
    /// A full path (e.g. an image a manifest names) if, links followed, it lies inside a root; else null. A manifest
    /// row pointing outside the roots is not served.
    /// </summary>
    public string? Contain(string fullPath)
    {
        var real = RealPath(Path.GetFullPath(fullPath));
        return real is not null && _roots.Values.Any(r => Inside(real, r)) ? real : null;
    }

    /// <summary>The id (ROOT/RELATIVE) of a full path inside a root, the most specific root first; null outside.</summary>
    public string? IdOf(string fullPath)
    {
        var real = RealPath(Path.GetFullPath(fullPath));
        if (real is null) return null;
        foreach (var (name, root) in _roots.OrderByDescending(r => r.Value.Length))
            if (Inside(real, root))
                return real.Length == root.Length ? name : $"{name}/{Path.GetRelativePath(root, real).Replace('\\', '/')}";
        return null;
    }

    private static bool Inside(string path, string root) =>
        path == root || path.StartsWith(root.EndsWith('/') ? root : root + "/", StringComparison.Ordinal);

    /// <summary>
    /// The path with every symbolic link resolved, component by component as the kernel does ('..' after a link goes
    /// up from the link's target). Components that do not exist are kept as they are. Null for a link loop.
    /// </summary>
    public static string? RealPath(string path)
    {
        var pending = new LinkedList<string>(path.Split('/', StringSplitOptions.RemoveEmptyEntries));
        var current = "/";
        int links = 0;
        while (pending.First is { } node)
        {
            pending.RemoveFirst();
            var part = node.Value;
            if (part == ".") continue;
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? "/";
                continue;
            }
            var next = Path.Combine(current, part);
            string? target = null;
            try
            {
                target = new FileInfo(next).LinkTarget;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // unreadable: treated as a plain name
            }
            if (target is null)
            {
                current = next;
                continue;
            }
            if (++links > MaxLinks) return null;
            if (target.StartsWith('/')) current = "/";
            foreach (var t in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse()) pending.AddFirst(t);
        }
        return current;
    }
}
