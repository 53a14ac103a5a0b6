using InSitu.Data;
using InSitu.Torch;

namespace InSitu.Workflows.Segmentation;

/// <summary>Images and their label images from the command line: two files, or two folders matched by file name.</summary>
public static class SegmentationInputs
{
    /// <summary>
    /// Image/label pairs. Folders are matched by file name without extension (image.tif with image.png); images without
    /// a label file are not annotated and come back in <c>Unlabelled</c>; a label file without its image is an error.
    /// </summary>
    public static (List<PatchPair> Pairs, List<string> Unlabelled) Pairs(string images, string labels)
    {
        if (File.Exists(images))
        {
            if (!File.Exists(labels))
                throw new FileNotFoundException(Directory.Exists(labels)
                    ? $"'{images}' is one image but '{labels}' is a folder; give its label image"
                    : $"label image '{labels}' does not exist", labels);
            return ([new PatchPair(Path.GetFullPath(images), Path.GetFullPath(labels))], []);
        }
        if (!Directory.Exists(images)) throw new FileNotFoundException($"image file or folder '{images}' does not exist", images);
        if (!Directory.Exists(labels))
            throw new DirectoryNotFoundException($"label folder '{labels}' does not exist (images in a folder need a folder of labels)");
        var labelFiles = Images(labels).GroupBy(f => Path.GetFileNameWithoutExtension(f)!).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var (stem, files) in labelFiles)
            if (files.Count > 1)
                throw new InvalidDataException($"label folder '{labels}' holds {string.Join(" and ", files.Select(Path.GetFileName))}: " +
                    $"two label images for '{stem}'");
        var pairs = new List<PatchPair>();
        var unlabelled = new List<string>();
        var imageStems = new HashSet<string>();
        foreach (var image in Images(images))
        {
            var stem = Path.GetFileNameWithoutExtension(image);
            imageStems.Add(stem);
            if (labelFiles.TryGetValue(stem, out var label)) pairs.Add(new PatchPair(image, label[0]));
            else unlabelled.Add(image);
        }
        if (labelFiles.Keys.FirstOrDefault(k => !imageStems.Contains(k)) is { } orphan)
            throw new InvalidDataException($"label image '{labelFiles[orphan][0]}' has no image of the same name in '{images}'");
        if (pairs.Count == 0)
            throw new InvalidDataException($"no image in '{images}' has a label image of the same name in '{labels}'");
        return (pairs, unlabelled);
    }

    /// <summary>The image files of a folder (PNG, JPEG, BMP, TIFF), sorted, or the file itself.</summary>
    public static List<string> Images(string fileOrFolder)
    {
        if (File.Exists(fileOrFolder)) return [Path.GetFullPath(fileOrFolder)];
        if (!Directory.Exists(fileOrFolder)) throw new FileNotFoundException($"image file or folder '{fileOrFolder}' does not exist",
            fileOrFolder);
        var files = Directory.EnumerateFiles(fileOrFolder).Where(f => ImageIO.IsImageFile(f) && !AtomicFile.IsTemporary(f))
            .Select(Path.GetFullPath).Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new InvalidDataException($"no images (PNG, JPEG, BMP or TIFF) in '{fileOrFolder}'");
        return files;
    }
}
