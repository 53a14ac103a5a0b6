using InSitu.Torch;

namespace InSitu.Data;

/// <summary>What commands accept as images: a manifest CSV, or image files and folders of them (searched recursively).</summary>
public static class ImageInputs
{
    /// <summary>
    /// The images found, and the entries of the named folders left out with the reason (e.g. a dangling link named *.png).
    /// </summary>
    public sealed record Listing(Manifest Manifest, IReadOnlyList<(string path, string reason)> Skipped);

    /// <summary>A single manifest as it is (labels kept); otherwise every named image and every image under the named folders,
    /// unlabelled.</summary>
    public static Manifest Load(IReadOnlyList<string> inputs)
    {
        var listing = Collect(inputs);
        if (listing.Manifest.Rows.Count == 0)
            throw new InvalidDataException($"no usable images in {string.Join(", ", inputs.Select(i => $"'{i}'"))}: " +
                string.Join("; ", listing.Skipped.Take(3).Select(s => $"{s.path}: {s.reason}")));
        return listing.Manifest;
    }

    /// <summary>
    /// As <see cref="Load"/>, also returning what the folder walk left out. Folders are walked by <see cref="FolderWalker"/>
    /// (each real folder once, dangling links skipped); an image named twice is listed once.
    /// </summary>
    public static Listing Collect(IReadOnlyList<string> inputs)
    {
        if (inputs.Count == 1 && File.Exists(inputs[0]) && inputs[0].EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
            return new Listing(Manifest.Load(inputs[0]), Array.Empty<(string, string)>());
        var files = new List<string>();
        var skipped = new List<(string, string)>();
        foreach (var input in inputs)
        {
            if (Directory.Exists(input))
            {
                var walk = FolderWalker.Walk(input);
                files.AddRange(walk.Files.Where(ImageIO.IsImageFile));
                skipped.AddRange(Reportable(walk.Skipped));
            }
            else if (File.Exists(input) && ImageIO.IsImageFile(input))
                files.Add(input);
            else
                throw new FileNotFoundException($"'{input}' is neither a manifest (.csv), an image nor a folder of images", input);
        }
        if (files.Count == 0 && skipped.Count == 0)
            throw new InvalidDataException($"no images (PNG, JPEG, BMP or TIFF) in {string.Join(", ", inputs.Select(i => $"'{i}'"))}");
        var unique = files.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal);
        return new Listing(new Manifest(unique.Select(f => new ManifestRow(f)), Directory.GetCurrentDirectory()), skipped);
    }

    /// <summary>What a walk left out that a user would miss: entries named as images, and folders that could not be read.</summary>
    internal static IEnumerable<(string path, string reason)> Reportable(IEnumerable<(string path, string reason)> skipped) =>
        skipped.Where(s => ImageIO.IsImageFile(s.path) || s.reason.StartsWith("folder", StringComparison.Ordinal));
}
