using InSitu.Torch;

namespace InSitu.Web.Segmentation;

/// <summary>
/// The annotator's side of the file system: the projects under the roots, images cut into display tiles, and label
/// images read and written (8-bit, 255 = not annotated), all resolved inside the roots.
/// </summary>
public sealed class SegmentationProjects(FileRoots roots)
{
    public const int TileSize = 256;
    private readonly object _lock = new();
    private readonly LinkedList<(string key, byte[] rgb, int width, int height)> _decoded = new();

    /// <summary>
    /// Folders holding images: any under the data folder, and under the runs folder those named images/ or image/
    /// (run folders also hold report figures). Label folders are not projects.
    /// </summary>
    public List<SegmentationProject> List()
    {
        var found = new List<SegmentationProject>();
        foreach (var (name, root) in roots.All)
            foreach (var dir in Catalog.Folders(root))
            {
                var leaf = Path.GetFileName(dir);
                if (leaf == "labels" || leaf.EndsWith("-labels", StringComparison.Ordinal)) continue;
                if (name == "runs" && leaf is not ("images" or "image")) continue;
                bool hasImages;
                try
                {
                    hasImages = Directory.EnumerateFiles(dir).Any(f => ImageIO.IsImageFile(f) && !AtomicFile.IsTemporary(f));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    continue;
                }
                if (hasImages && roots.IdOf(dir) is { } id && found.All(p => p.Id != id)) found.Add(SegmentationProject.Open(id, dir));
            }
        return found;
    }

    public SegmentationProject Open(string id)
    {
        var dir = roots.ResolveFolder(id) ?? throw new WebErrors.NotFoundException($"no image folder '{id}'");
        // the label folder must be inside the roots too (it is a sibling, so only a link could take it out)
        var project = SegmentationProject.Open(id, dir);
        if (roots.Contain(project.LabelFolder) is null)
            throw new WebErrors.NotFoundException($"the label folder of '{id}' is outside the roots");
        return project;
    }

    /// <summary>The image file of a project by name (a plain file name in its folder).</summary>
    public string ImageFile(SegmentationProject project, string image)
    {
        if (image.Contains('/', StringComparison.Ordinal) || !ImageIO.IsImageFile(image))
            throw new WebErrors.NotFoundException($"no image '{image}' in '{project.Id}'");
        return roots.ResolveFile($"{project.Id}/{image}") ?? throw new WebErrors.NotFoundException($"no image '{image}' in '{project.Id}'");
    }

    /// <summary>RGB bytes of an image, decoded once and kept for the next tiles (the last few images).</summary>
    public (byte[] rgb, int width, int height) Pixels(string file)
    {
        var key = $"{file}|{File.GetLastWriteTimeUtc(file).Ticks}";
        lock (_lock)
        {
            var hit = _decoded.FirstOrDefault(d => d.key == key);
            if (hit.key is not null) return (hit.rgb, hit.width, hit.height);
        }
        byte[] rgb;
        int w, h;
        using (var scope = TorchRuntime.NewDisposeScope())
        {
            var img = ImageIO.ReadRgb8(file);
            (h, w) = ((int)img.Shape[0], (int)img.Shape[1]);
            rgb = img.Contiguous().ToArray<byte>();
        }
        lock (_lock)
        {
            _decoded.AddFirst((key, rgb, w, h));
            while (_decoded.Count > 3) _decoded.RemoveLast();
        }
        return (rgb, w, h);
    }

    /// <summary>
    /// Tile (x, y) of level <paramref name="level"/> (the image scaled by 1 / 2^level) as PNG: TileSize pixels square,
    /// smaller at the right and bottom edges.
    /// </summary>
    public byte[] Tile(string file, int level, int x, int y)
    {
        var (rgb, w, h) = Pixels(file);
        int scale = 1 << Math.Clamp(level, 0, 12);
        int span = TileSize * scale, x0 = x * span, y0 = y * span;
        if (x < 0 || y < 0 || x0 >= w || y0 >= h) throw new WebErrors.NotFoundException($"no tile {x},{y} at level {level}");
        int sw = Math.Min(span, w - x0), sh = Math.Min(span, h - y0);
        int tw = Math.Max(1, (sw + scale - 1) / scale), th = Math.Max(1, (sh + scale - 1) / scale);
        var tile = new byte[tw * th * 3];
        for (int ty = 0; ty < th; ty++)
            for (int tx = 0; tx < tw; tx++)
            {
                // the mean of the source pixels under the tile pixel (box filter)
                int sx0 = x0 + tx * scale, sy0 = y0 + ty * scale;
                int sx1 = Math.Min(sx0 + scale, w), sy1 = Math.Min(sy0 + scale, h);
                int r = 0, g = 0, b = 0, n = 0;
                for (int sy = sy0; sy < sy1; sy++)
                    for (int sx = sx0; sx < sx1; sx++)
                    {
                        int o = (sy * w + sx) * 3;
                        (r, g, b, n) = (r + rgb[o], g + rgb[o + 1], b + rgb[o + 2], n + 1);
                    }
                int t = (ty * tw + tx) * 3;
                (tile[t], tile[t + 1], tile[t + 2]) = ((byte)(r / n), (byte)(g / n), (byte)(b / n));
            }
        return PngImage.Encode(tile, tw, th, 3);
    }

    /// <summary>The id of an image's label file (where the annotator saves it).</summary>
    public string LabelId(SegmentationProject project, string image) =>
        roots.IdOf(project.LabelFile(image))
        ?? throw new WebErrors.NotFoundException($"the label folder of '{project.Id}' is outside the roots");

    /// <summary>The label image of <paramref name="image"/> as raw bytes (width x height), all 255 when none exists yet.</summary>
    public byte[] ReadLabels(SegmentationProject project, string image, int width, int height)
    {
        var file = project.LabelFile(image);
        if (!File.Exists(file)) return Enumerable.Repeat(SegmentationProject.Unlabelled, width * height).ToArray();
        if (roots.Contain(file) is null) throw new WebErrors.NotFoundException($"the label image of '{image}' is outside the roots");
        using var scope = TorchRuntime.NewDisposeScope();
        var t = ImageIO.Read(file, ImageMode.Gray);
        if (t.DType != DType.UInt8)
            throw new InvalidDataException($"label image '{file}' is not 8-bit; labels are 8-bit (k = class k, 255 = not annotated)");
        if (t.Shape[0] != height || t.Shape[1] != width)
            throw new InvalidDataException($"label image '{file}' is {t.Shape[1]}x{t.Shape[0]}, its image {width}x{height}");
        return t.Contiguous().ToArray<byte>();
    }

    /// <summary>Writes labels (checked against the class count) as an 8-bit PNG, atomically. Returns pixels per class.</summary>
    public (int[] perClass, int unlabelled) WriteLabels(SegmentationProject project, string image, byte[] labels, int width, int height)
    {
        if (labels.Length != width * height)
            throw new ArgumentException($"{labels.Length} label values for a {width}x{height} image");
        var counts = new int[256];
        foreach (var v in labels) counts[v]++;
        for (int k = project.Classes.Count; k < SegmentationProject.Unlabelled; k++)
            if (counts[k] > 0)
                throw new ArgumentException(
                    $"class {k} is not one of the project's {project.Classes.Count} classes (0..{project.Classes.Count - 1})");
        Directory.CreateDirectory(project.LabelFolder);
        var file = project.LabelFile(image);
        if (roots.Contain(file) is null) throw new WebErrors.NotFoundException($"the label image of '{image}' would be outside the roots");
        using (var t = Tensor.FromArray(labels, height, width)) ImageIO.Write(file, t);
        return (counts.Take(project.Classes.Count).ToArray(), counts[SegmentationProject.Unlabelled]);
    }
}
