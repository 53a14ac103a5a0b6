using System.Text.Json;
using InSitu.Common;
using InSitu.Torch;

namespace InSitu.Web.Segmentation;

/// <summary>
/// A folder of images to segment and the folder of their label images: for images/ (or image/) the sibling labels/,
/// for any other folder X the sibling X-labels/. A label image has the image's name with a .png extension, one 8-bit
/// value per pixel: k = class k, 255 = not annotated (the segmentation workflow's partial labels). The class names
/// are kept in classes.json in the label folder.
/// </summary>
public sealed record SegmentationProject(string Id, string ImageFolder, string LabelFolder, IReadOnlyList<string> Classes)
{
    public const byte Unlabelled = 255;
    public const string ClassesFile = "classes.json";
    public static readonly string[] DefaultClasses = ["background", "foreground"];

    public static string LabelFolderOf(string imageFolder)
    {
        var name = Path.GetFileName(imageFolder);
        var parent = Path.GetDirectoryName(imageFolder)!;
        return Path.Combine(parent, name is "images" or "image" ? "labels" : $"{name}-labels");
    }

    public static SegmentationProject Open(string id, string imageFolder)
    {
        var labels = LabelFolderOf(imageFolder);
        var classes = DefaultClasses.ToList();
        var file = Path.Combine(labels, ClassesFile);
        if (File.Exists(file))
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(file));
                var read = doc.RootElement.GetProperty("classes").EnumerateArray().Select(c => c.GetString() ?? "").ToList();
                if (read.Count is >= 1 and < Unlabelled) classes = read;
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new InvalidDataException($"'{file}' is not a class list ({{\"classes\": [\"background\", ...]}}): {e.Message}");
            }
        }
        return new SegmentationProject(id, imageFolder, labels, classes);
    }

    public void SaveClasses(IReadOnlyList<string> classes)
    {
        if (classes.Count is < 1 or >= Unlabelled) throw new ArgumentException($"a project has 1 to {Unlabelled - 1} classes");
        if (classes.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException("a class needs a name");
        if (classes.Distinct(StringComparer.Ordinal).Count() != classes.Count) throw new ArgumentException("two classes have one name");
        Directory.CreateDirectory(LabelFolder);
        AtomicFile.WriteText(Path.Combine(LabelFolder, ClassesFile), JsonSettings.Serialize(new { classes }));
    }

    public IEnumerable<string> Images() =>
        Directory.EnumerateFiles(ImageFolder).Where(f => ImageIO.IsImageFile(f) && !AtomicFile.IsTemporary(f))
            .Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal);

    public string LabelFile(string image) => Path.Combine(LabelFolder, Path.GetFileNameWithoutExtension(image) + ".png");
}
