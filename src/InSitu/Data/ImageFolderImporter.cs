using InSitu.Torch;

namespace InSitu.Data;

/// <summary>
/// Builds a manifest from a class-per-folder tree (ROOT/CLASS/image.png, the ImageFolder layout). Every file is
/// decoded once: unreadable images are reported and left out, never silently kept.
/// </summary>
public static class ImageFolderImporter
{
    public sealed record Result(Manifest Manifest, IReadOnlyList<(string path, string reason)> Skipped, IReadOnlyList<string> Classes);

    public static Result Import(string root, string manifestDirectory)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"image folder '{root}' does not exist");
        var classes = Directory.GetDirectories(root).Select(Path.GetFileName).Where(n => n is not null && !n.StartsWith('.'))
            .Select(n => n!).OrderBy(n => n, StringComparer.Ordinal).ToList();
        if (classes.Count == 0)
            throw new InvalidDataException($"'{root}' has no class folders: expected ROOT/CLASS/image files (one folder per class)");
        var rows = new List<ManifestRow>();
        var skipped = new List<(string, string)>();
        foreach (var cls in classes)
        {
            var files = Directory.EnumerateFiles(Path.Combine(root, cls), "*", SearchOption.AllDirectories)
                .Where(ImageIO.IsImageFile).OrderBy(f => f, StringComparer.Ordinal).ToList();
            foreach (var file in files)
            {
                try
                {
                    using var img = ImageIO.Read(file);
                    rows.Add(new ManifestRow(Path.GetRelativePath(manifestDirectory, Path.GetFullPath(file)), Label: cls));
                }
                catch (TorchException e)
                {
                    skipped.Add((file, e.Message));
                }
            }
        }
        if (rows.Count == 0)
            throw new InvalidDataException($"no readable images under '{root}' (PNG, JPEG, BMP or TIFF in ROOT/CLASS/)");
        return new Result(new Manifest(rows, manifestDirectory), skipped, classes);
    }
}
