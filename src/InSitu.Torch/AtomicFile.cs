namespace InSitu.Torch;

/// <summary>
/// Writes a file so that readers see either the old content or the new one, never half of it: the data goes to a
/// hidden temporary file beside the target, which is then renamed over it (a rename within one folder is atomic).
/// Every write-then-rename in InSitu goes through here (it lives in the engine so that image and
/// checkpoint writes use it too); folder walkers skip the temporary names (<see cref="IsTemporary"/>).
/// </summary>
public static class AtomicFile
{
    /// <summary>
    /// A hidden temporary name beside <paramref name="path"/>, unique to this process: <c>.NAME.tmp.PID.EXT</c>.
    /// It keeps the extension, which tells writers such as OpenCV the format.
    /// </summary>
    public static string TemporaryPath(string path)
    {
        var full = Path.GetFullPath(path);
        var name = $".{Path.GetFileName(full)}.tmp.{Environment.ProcessId}{Path.GetExtension(full)}";
        return Path.Combine(Path.GetDirectoryName(full)!, name);
    }

    /// <summary>
    /// Whether <paramref name="path"/> names a temporary file of this class (<c>.*.tmp.*</c>): a write in progress
    /// or one cut off.
    /// </summary>
    public static bool IsTemporary(string path)
    {
        var name = Path.GetFileName(path);
        return name.StartsWith('.') && name.Contains(".tmp.", StringComparison.Ordinal);
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
            // a failed write (disk full, exception, a folder in the way) leaves no temporary file behind
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }
}
