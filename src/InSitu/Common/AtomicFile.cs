namespace InSitu.Common;

/// <summary>
/// Writes a file so that readers see either the old content or the new one, never half of it: the data goes to a
/// hidden temporary file beside the target, which is then renamed over it (a rename within one folder is atomic).
/// </summary>
public static class AtomicFile
{
    /// <summary>A hidden temporary name beside <paramref name="path"/>, unique to this process.</summary>
    public static string TemporaryPath(string path)
    {
        var full = Path.GetFullPath(path);
        return Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.tmp.{Environment.ProcessId}");
    }

    public static void WriteText(string path, string text) => Write(path, tmp => File.WriteAllText(tmp, text));

    public static void WriteBytes(string path, byte[] bytes) => Write(path, tmp => File.WriteAllBytes(tmp, bytes));

    /// <summary>Lets <paramref name="write"/> fill a temporary file, then renames it over <paramref name="path"/>.</summary>
    public static void Write(string path, Action<string> write)
    {
        var tmp = TemporaryPath(path);
        try
        {
            write(tmp);
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            // a failed write (disk full, exception) leaves no temporary file behind
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }
}
