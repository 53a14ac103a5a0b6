namespace InSitu.Data;

/// <summary>
/// An image and its mask: a single-channel label image of the same size, one whole-number class per pixel, the
/// ignore value where a pixel is unlabelled. The mask may be absent for tiling images to predict.
/// </summary>
public sealed record PatchPair(string Image, string? Mask)
{
    /// <summary>
    /// Every image of <paramref name="imageFolder"/> with the mask of the same file name in <paramref name="maskFolder"/>.
    /// </summary>
    public static List<PatchPair> FromFolders(string imageFolder, string maskFolder)
    {
        if (!Directory.Exists(imageFolder)) throw new DirectoryNotFoundException($"image folder '{imageFolder}' does not exist");
        if (!Directory.Exists(maskFolder)) throw new DirectoryNotFoundException($"mask folder '{maskFolder}' does not exist");
        var pairs = new List<PatchPair>();
        var images = Directory.EnumerateFiles(imageFolder).Where(f => Torch.ImageIO.IsImageFile(f) && !Torch.AtomicFile.IsTemporary(f));
        foreach (var image in images.Order(StringComparer.Ordinal))
        {
            var mask = Path.Combine(maskFolder, Path.GetFileName(image));
            if (!File.Exists(mask)) throw new FileNotFoundException($"image '{image}' has no mask '{mask}'", mask);
            pairs.Add(new PatchPair(image, mask));
        }
        if (pairs.Count == 0) throw new InvalidDataException($"no images (PNG, JPEG, BMP or TIFF) in '{imageFolder}'");
        return pairs;
    }
}
