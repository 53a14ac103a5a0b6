using InSitu.Torch;

namespace InSitu.Data;

/// <summary>
/// The one way InSitu lists the files under a folder. Symbolic links are followed, but every real folder is walked
/// once: a link loop (a link to a parent) or a second link to a folder already walked adds nothing. Dangling links
/// and folders that cannot be read are reported, not followed; hidden temporary files of an interrupted write
/// (<see cref="AtomicFile.IsTemporary"/>) are left out. Files come in ordinal order of their paths, whatever the
/// file system's order.
/// </summary>
public static class FolderWalker
{
    /// <summary>The files found, and each entry left out with the reason (dangling link, unreadable folder).</summary>
    public sealed record Listing(IReadOnlyList<string> Files, IReadOnlyList<(string path, string reason)> Skipped);

    /// <summary>Every file under <paramref name="root"/>, recursively (paths as spelled under <paramref name="root"/>).</summary>
    public static Listing Walk(string root)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"folder '{root}' does not exist");
        var files = new List<string>();
        var skipped = new List<(string, string)>();
        var walked = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>();
        pending.Push(Path.GetFullPath(root));
        while (pending.Count > 0)
        {
            var folder = pending.Pop();
            if (!walked.Add(RealPath(folder))) continue; // a loop, or a folder already reached another way
            List<FileSystemInfo> entries;
            try
            {
                entries = new DirectoryInfo(folder).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                skipped.Add((folder, $"folder cannot be read: {e.Message}"));
                continue;
            }
            var folders = new List<string>();
            foreach (var entry in entries)
            {
                if (entry.LinkTarget is { } target)
                {
                    FileSystemInfo? final;
                    try
                    {
                        final = entry.ResolveLinkTarget(returnFinalTarget: true);
                    }
                    catch (IOException e)
                    {
                        skipped.Add((entry.FullName, $"symbolic link cannot be resolved (a loop of links?): {e.Message}"));
                        continue;
                    }
                    if (final is null || !final.Exists)
                    {
                        skipped.Add((entry.FullName, $"dangling symbolic link: its target '{target}' does not exist"));
                        continue;
                    }
                    if (final is DirectoryInfo || Directory.Exists(final.FullName)) folders.Add(entry.FullName);
                    else files.Add(entry.FullName);
                }
                else if (entry is DirectoryInfo) folders.Add(entry.FullName);
                else if (!AtomicFile.IsTemporary(entry.Name)) files.Add(entry.FullName);
            }
            // depth first in name order, so the first way into a folder reached twice is always the same one
            for (int i = folders.Count - 1; i >= 0; i--) pending.Push(folders[i]);
        }
        files.Sort(StringComparer.Ordinal);
        return new Listing(files, skipped);
    }

    /// <summary>The folder's path with every link on the way resolved.</summary>
    private static string RealPath(string folder)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        var parent = Path.GetDirectoryName(full);
        // resolve the parent first: a link anywhere above makes the same folder reachable under two names
        var resolvedParent = parent is null ? null : RealPath(parent);
        var here = resolvedParent is null ? full : Path.Combine(resolvedParent, Path.GetFileName(full));
        var info = new DirectoryInfo(here);
        if (info.LinkTarget is null) return here;
        var target = info.ResolveLinkTarget(returnFinalTarget: true);
        return target is null ? here : RealPath(target.FullName);
    }
}
