using InSitu.Imaging;
using InSitu.Torch;

namespace InSitu.Synthesis.Realism;

/// <summary>
/// Real photos and the hand-drawn masks of their main embryo, read from one folder. A mask is an image whose name
/// contains "mask"; it belongs to the photo named like it with "mask" replaced by "photo" (mask1.png -> photo1.jpg)
/// or with a "_mask", "-mask" or ".mask" suffix removed (a_mask.png -> a.jpg). Dark mask pixels (below 128) are the
/// main embryo. Photos without a mask are listed but not measured: every measure needs to know where the embryo is.
/// </summary>
public sealed record RealPhotoSet(IReadOnlyList<MaskedPicture> Photos, IReadOnlyList<string> Unmasked)
{
    public static RealPhotoSet Load(string folder)
    {
        if (!Directory.Exists(folder)) throw new ArgumentException($"real photo folder '{folder}' does not exist");
        var files = Directory.EnumerateFiles(folder).Where(ImageIO.IsImageFile).Where(f => !Torch.AtomicFile.IsTemporary(f))
            .OrderBy(f => f, StringComparer.Ordinal).ToList();
        var masks = files.Where(IsMask).ToList();
        var photos = new List<MaskedPicture>();
        var unmasked = new List<string>();
        foreach (var photo in files.Where(f => !IsMask(f)))
        {
            var mask = masks.FirstOrDefault(m => BelongsTo(m, photo));
            if (mask is null)
            {
                unmasked.Add(photo);
                continue;
            }
            photos.Add(Read(photo, mask, Path.GetFileName(photo)));
        }
        if (photos.Count == 0)
            throw new ArgumentException($"real photo folder '{folder}' holds no photo with a mask of its main embryo " +
                "(e.g. photo1.jpg with mask1.png, dark = embryo)");
        return new RealPhotoSet(photos, unmasked);
    }

    private static bool IsMask(string path) => Path.GetFileNameWithoutExtension(path).Contains("mask", StringComparison.OrdinalIgnoreCase);

    private static bool BelongsTo(string mask, string photo)
    {
        string m = Path.GetFileNameWithoutExtension(mask), p = Path.GetFileNameWithoutExtension(photo);
        static bool Same(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
        if (Same(m.Replace("mask", "photo", StringComparison.OrdinalIgnoreCase), p)) return true;
        foreach (var suffix in new[] { "_mask", "-mask", ".mask" })
            if (m.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) && Same(m[..^suffix.Length], p)) return true;
        return false;
    }

    /// <summary>A picture and its mask (dark, below 128, = embryo), named <paramref name="name"/>.</summary>
    internal static MaskedPicture Read(string photo, string mask, string name)
    {
        using var rgb = ImageIO.ReadRgb8(photo);
        using var grey = ImageIO.ReadRgb8(mask);
        if (grey.Shape[0] != rgb.Shape[0] || grey.Shape[1] != rgb.Shape[1])
            throw new ArgumentException($"mask '{mask}' is {grey.Shape[1]}x{grey.Shape[0]} but its photo '{photo}' is " +
                $"{rgb.Shape[1]}x{rgb.Shape[0]}; a mask must match its photo pixel for pixel");
        int w = (int)rgb.Shape[1], h = (int)rgb.Shape[0];
        var m = grey.ToArray<byte>();
        var embryo = new bool[w * h];
        for (int i = 0; i < embryo.Length; i++) embryo[i] = m[3 * i] + m[3 * i + 1] + m[3 * i + 2] < 3 * 128;
        if (!embryo.Any(b => b)) throw new ArgumentException($"mask '{mask}' marks no embryo (dark pixels, below 128, are the embryo)");
        return new MaskedPicture(name, new Picture(rgb.ToArray<byte>(), w, h), embryo);
    }
}
