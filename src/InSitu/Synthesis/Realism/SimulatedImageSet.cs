using InSitu.Torch;

namespace InSitu.Synthesis.Realism;

/// <summary>
/// Simulated images read from a folder instead of rendered, so that a simulator other than this build's (an older
/// version, another tool) is measured by the same report: raw/NNN.jpg and standard/NNN.png, each with NNN_mask.png
/// (dark = main embryo, as the real photos' masks). bench/realism/SimExport writes this layout.
/// </summary>
public static class SimulatedImageSet
{
    /// <summary>The raw frames (at their own size) and the standard views of <paramref name="folder"/>.</summary>
    public static (IReadOnlyList<MaskedPicture> raw, IReadOnlyList<MaskedPicture> standard) Load(string folder)
    {
        if (!Directory.Exists(folder)) throw new ArgumentException($"simulated image folder '{folder}' does not exist");
        var raw = Read(Path.Combine(folder, "raw"), "sim_raw");
        var standard = Read(Path.Combine(folder, "standard"), "sim_standard");
        if (raw.Count < 2 || standard.Count < 2)
            throw new ArgumentException($"simulated image folder '{folder}' holds {raw.Count} raw frame(s) and {standard.Count} " +
                "standard view(s) with masks; the comparison needs at least 2 of each (raw/NNN.jpg, standard/NNN.png, each with " +
                "NNN_mask.png)");
        return (raw, standard);
    }

    private static List<MaskedPicture> Read(string folder, string prefix)
    {
        if (!Directory.Exists(folder)) return new List<MaskedPicture>();
        var list = new List<MaskedPicture>();
        foreach (var image in Directory.EnumerateFiles(folder).Where(ImageIO.IsImageFile).Order(StringComparer.Ordinal))
        {
            string stem = Path.GetFileNameWithoutExtension(image);
            if (stem.EndsWith("_mask", StringComparison.Ordinal)) continue;
            string mask = Path.Combine(folder, stem + "_mask.png");
            if (!File.Exists(mask)) throw new ArgumentException($"simulated image '{image}' has no mask '{mask}'");
            list.Add(RealPhotoSet.Read(image, mask, $"{prefix}_{stem}{(prefix == "sim_standard" ? ".png" : "")}"));
        }
        return list;
    }
}
