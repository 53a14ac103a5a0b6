using InSitu.Torch;

namespace InSitu.Data;

/// <summary>
/// Builds a manifest from a class-per-folder tree (ROOT/CLASS/image.png, the ImageFolder layout). Every file is
/// decoded once: unreadable images (dangling links, empty, truncated or undecodable files, files that cannot be
/// opened) are reported and left out, never silently kept, and never stop the import.
/// </summary>
public static class ImageFolderImporter
{
    /// <param name="Skipped">
    /// Each image file left out, with the reason; <see cref="Manifest"/> may be empty when every file was bad.
    /// </param>
    /// <param name="Found">Image files found: kept plus skipped.</param>
    public sealed record Result(Manifest Manifest, IReadOnlyList<(string path, string reason)> Skipped, IReadOnlyList<string> Classes)
    {
        public int Found => Manifest.Rows.Count + Skipped.Count;
    }

    public static Result Import(string root, string manifestDirectory)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"image folder '{root}' does not exist");
        var classes = Directory.GetDirectories(root).Select(Path.GetFileName).Where(n => n is not null && !n.StartsWith('.'))
            .Select(n => n!).OrderBy(n => n, StringComparer.Ordinal).ToList();
        if (classes.Count == 0)
            throw new InvalidDataException($"'{root}' has no class folders: expected ROOT/CLASS/image files (one folder per class)");
        // one walk of the whole tree: a class folder that links to another (or a loop) lists no image twice
        var full = Path.GetFullPath(root);
        var walk = FolderWalker.Walk(full);
        var classSet = classes.ToHashSet(StringComparer.Ordinal);
        string? ClassOf(string path)
        {
            var rel = Path.GetRelativePath(full, path);
            int cut = rel.IndexOf(Path.DirectorySeparatorChar);
            return cut > 0 && classSet.Contains(rel[..cut]) ? rel[..cut] : null;
        }
        var rows = new List<ManifestRow>();
        var skipped = ImageInputs.Reportable(walk.Skipped).Where(s => ClassOf(s.path) is not null).ToList();
        foreach (var file in walk.Files.Where(ImageIO.IsImageFile))
        {
            if (ClassOf(file) is not { } cls) continue;
            try
            {
                using var img = ImageIO.Read(file);
                rows.Add(new ManifestRow(Path.GetRelativePath(manifestDirectory, file), Label: cls));
            }
            catch (Exception e) when (e is TorchException or IOException or UnauthorizedAccessException)
            {
                skipped.Add((file, e.Message));
            }
        }
        skipped.Sort((a, b) => StringComparer.Ordinal.Compare(a.path, b.path));
        if (rows.Count == 0 && skipped.Count == 0)
            throw new InvalidDataException($"no images under '{root}' (PNG, JPEG, BMP or TIFF in ROOT/CLASS/)");
        return new Result(new Manifest(rows, manifestDirectory), skipped, classes);
    }
}
