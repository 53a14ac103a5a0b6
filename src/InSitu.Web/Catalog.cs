using InSitu.Data;
using InSitu.Torch;

namespace InSitu.Web;

/// <summary>
/// What the roots hold, found by walking them a few levels deep: manifests, run directories, stage models. Hidden
/// folders (the server's own .insitu-web among them), checkpoint folders and linked folders are not entered.
/// </summary>
public static class Catalog
{
    private const int MaxDepth = 5, MaxFiles = 20000;

    /// <summary>Folders under <paramref name="root"/> (itself first), breadth first, at most <see cref="MaxDepth"/> deep.</summary>
    public static IEnumerable<string> Folders(string root)
    {
        var queue = new Queue<(string dir, int depth)>();
        queue.Enqueue((root, 0));
        while (queue.Count > 0)
        {
            var (dir, depth) = queue.Dequeue();
            yield return dir;
            if (depth >= MaxDepth) continue;
            IEnumerable<string> subs;
            try
            {
                subs = Directory.EnumerateDirectories(dir).Order(StringComparer.Ordinal).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            foreach (var sub in subs)
            {
                var name = Path.GetFileName(sub);
                if (name.StartsWith('.') || name.StartsWith("checkpoint-", StringComparison.Ordinal)) continue;
                if (new DirectoryInfo(sub).LinkTarget is not null) continue;
                queue.Enqueue((sub, depth + 1));
            }
        }
    }

    public static IEnumerable<string> Files(string root, Func<string, bool> keep) =>
        Folders(root).SelectMany(d =>
        {
            try
            {
                return Directory.EnumerateFiles(d).Where(f => !AtomicFile.IsTemporary(f) && keep(f)).Order(StringComparer.Ordinal).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return [];
            }
        }).Take(MaxFiles);

    /// <summary>CSV files whose header names only manifest columns, path among them.</summary>
    public static bool IsManifest(string file)
    {
        if (!file.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)) return false;
        try
        {
            using var reader = new StreamReader(file);
            var header = reader.ReadLine();
            if (header is null) return false;
            var columns = header.Split(',').Select(c => c.Trim().Trim('"').ToLowerInvariant()).ToList();
            return columns.Contains("path") && columns.All(c => Manifest.Columns.Contains(c));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Trained stage models: `stage train` run directories (model.json) and a comparison's *.model.json records.</summary>
    public static bool IsStageModel(string file) =>
        Path.GetFileName(file) == "model.json" || file.EndsWith(".model.json", StringComparison.Ordinal);

    /// <summary>Run directories: folders holding config.json or report.html; their own sub-folders are not listed again.</summary>
    public static List<string> RunFolders(string root)
    {
        var runs = new List<string>();
        foreach (var dir in Folders(root))
        {
            if (runs.Any(r => dir.StartsWith(r + "/", StringComparison.Ordinal))) continue;
            if (File.Exists(Path.Combine(dir, "config.json")) || File.Exists(Path.Combine(dir, "report.html"))) runs.Add(dir);
        }
        return runs;
    }
}
