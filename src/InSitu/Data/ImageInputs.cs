using InSitu.Torch;

namespace InSitu.Data;

/// <summary>What commands accept as images: a manifest CSV, or image files and folders of them (searched recursively).</summary>
public static class ImageInputs
{
    /// <summary>A single manifest as it is (labels kept); otherwise every named image and every image under the named folders, unlabelled.</summary>
    public static Manifest Load(IReadOnlyList<string> inputs)
    {
        if (inputs.Count == 1 && File.Exists(inputs[0]) && inputs[0].EndsWith(".csv", StringComparison.OrdinalIgnoreCase)) return Manifest.Load(inputs[0]);
        var files = new List<string>();
        foreach (var input in inputs)
        {
            if (Directory.Exists(input))
                files.AddRange(Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories).Where(ImageIO.IsImageFile).Order(StringComparer.Ordinal));
            else if (File.Exists(input) && ImageIO.IsImageFile(input))
                files.Add(input);
            else
                throw new FileNotFoundException($"'{input}' is neither a manifest (.csv), an image nor a folder of images", input);
        }
        if (files.Count == 0) throw new InvalidDataException($"no images (PNG, JPEG, BMP or TIFF) in {string.Join(", ", inputs.Select(i => $"'{i}'"))}");
        return new Manifest(files.Select(f => new ManifestRow(Path.GetFullPath(f))), Directory.GetCurrentDirectory());
    }
}
