using System.Globalization;
using System.Text.Json;
using InSitu.Torch;

namespace InSitu.Data;

/// <summary>
/// The colours of a colour label image: one per class, in class order, and the colour of pixels nobody annotated
/// (fully transparent pixels are unannotated too). Read from a JSON file:
/// <c>{"classes": [{"name": "background", "color": "#0000ff"}, {"name": "cell", "color": [255, 0, 0]}],
/// "unlabelled": "#000000"}</c>.
/// </summary>
public sealed record LabelPalette(IReadOnlyList<string> Names, IReadOnlyList<(byte R, byte G, byte B)> Colors,
    (byte R, byte G, byte B)? Unlabelled)
{
    public int Count => Names.Count;

    public static LabelPalette Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"palette file '{path}' does not exist", path);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"palette file '{path}' is not valid JSON: {e.Message}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("classes", out var classes) ||
                classes.ValueKind != JsonValueKind.Array || classes.GetArrayLength() < 2)
                throw new InvalidDataException($"palette file '{path}' needs \"classes\": a list of at least 2 " +
                    "{\"name\": ..., \"color\": \"#rrggbb\"} entries");
            var names = new List<string>();
            var colors = new List<(byte, byte, byte)>();
            int i = 0;
            foreach (var c in classes.EnumerateArray())
            {
                string where = $"palette file '{path}': $.classes[{i}]";
                if (c.ValueKind != JsonValueKind.Object || !c.TryGetProperty("color", out var color))
                    throw new InvalidDataException($"{where} needs a \"color\"");
                names.Add(c.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()!
                    : $"class{i}");
                var rgb = ParseColor(color, where);
                if (colors.Contains(rgb)) throw new InvalidDataException($"{where}: colour {Hex(rgb)} is given to two classes");
                colors.Add(rgb);
                i++;
            }
            (byte, byte, byte)? unlabelled = null;
            if (root.TryGetProperty("unlabelled", out var u))
            {
                unlabelled = ParseColor(u, $"palette file '{path}': $.unlabelled");
                if (colors.Contains(unlabelled.Value))
                    throw new InvalidDataException(
                        $"palette file '{path}': the unlabelled colour {Hex(unlabelled.Value)} is a class colour too");
            }
            return new LabelPalette(names, colors, unlabelled);
        }
    }

    public static string Hex((byte R, byte G, byte B) c) => $"#{c.R:x2}{c.G:x2}{c.B:x2}";

    private static (byte, byte, byte) ParseColor(JsonElement e, string where)
    {
        if (e.ValueKind == JsonValueKind.String)
        {
            var s = e.GetString()!.TrimStart('#');
            if (s.Length == 6 && int.TryParse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var v))
                return ((byte)(v >> 16), (byte)(v >> 8), (byte)v);
        }
        else if (e.ValueKind == JsonValueKind.Array && e.GetArrayLength() == 3 &&
            e.EnumerateArray().All(x => x.TryGetInt32(out var b) && b is >= 0 and <= 255))
        {
            var b = e.EnumerateArray().Select(x => (byte)x.GetInt32()).ToArray();
            return (b[0], b[1], b[2]);
        }
        throw new InvalidDataException($"{where}: a colour is \"#rrggbb\" or [r, g, b] with values 0..255, not {e.GetRawText()}");
    }
}

/// <summary>A label image as class indices, row-major, with the ignore value where nobody annotated.</summary>
public sealed record LabelMap(int[] Labels, int Height, int Width)
{
    public long Annotated(int ignore) => Labels.LongCount(v => v != ignore);
}

/// <summary>
/// Reads the label formats annotators produce: a grey (8- or 16-bit) image of class indices with a reserved value
/// for "not annotated" (255 by default); an indexed (palette) PNG, whose palette entries are the classes; or a colour
/// image with a <see cref="LabelPalette"/>. Values outside the classes are refused, naming the file and the pixel.
/// </summary>
public static class LabelImage
{
    public static LabelMap Read(string path, int classes, LabelPalette? palette = null, int ignore = 255)
    {
        if (palette is null && File.Exists(path) && Imaging.PngIndexedReader.Read(path) is { } indexed)
        {
            // the indices themselves, not the colours OpenCV would expand them to (palettes often repeat a colour)
            Check(path, indexed.Indices, indexed.Width, classes, ignore);
            return new LabelMap(indexed.Indices, indexed.Height, indexed.Width);
        }
        using var scope = TorchRuntime.NewDisposeScope();
        var t = ImageIO.Read(path);
        int h = (int)t.Shape[0], w = (int)t.Shape[1], c = t.Dim == 2 ? 1 : (int)t.Shape[2];
        int[] labels;
        if (c == 1)
        {
            if (palette is not null)
                throw new InvalidDataException($"label image '{path}' is grey but a colour palette was given; " +
                    "grey label images hold class numbers themselves");
            labels = t.Cast(DType.Int32).ToArray<int>();
        }
        else
        {
            var rgba = t.Cast(DType.Int32).ToArray<int>();
            if (t.DType != DType.UInt8)
                throw new InvalidDataException($"label image '{path}' is a 16-bit colour image; colour labels are 8-bit RGB(A) PNGs");
            var colours = palette?.Colors.ToArray()
                ?? throw new InvalidDataException($"label image '{path}' is a colour image; give its palette file (--palette) " +
                    "or save the labels as a grey or indexed PNG of class numbers");
            var unlabelled = palette?.Unlabelled;
            var lookup = new Dictionary<int, int>();
            for (int k = colours.Length - 1; k >= 0; k--) lookup[Pack(colours[k])] = k; // the first entry of a repeated colour wins
            labels = new int[h * w];
            for (int i = 0; i < labels.Length; i++)
            {
                int o = i * c;
                if (c == 4 && rgba[o + 3] == 0)
                {
                    labels[i] = ignore;
                    continue;
                }
                int key = (rgba[o] << 16) | (rgba[o + 1] << 8) | rgba[o + 2];
                if (lookup.TryGetValue(key, out var k)) labels[i] = k;
                else if (unlabelled is { } u && key == Pack(u)) labels[i] = ignore;
                else
                    throw new InvalidDataException($"label image '{path}' has colour {LabelPalette.Hex(((byte)rgba[o],
                        (byte)rgba[o + 1], (byte)rgba[o + 2]))} at x={i % w}, y={i / w}, which is no class of its palette " +
                        $"({string.Join(", ", colours.Take(8).Select(LabelPalette.Hex))}" +
                        $"{(unlabelled is { } un ? $"; unlabelled {LabelPalette.Hex(un)}" : "")}); labels must be saved " +
                        "losslessly (PNG, not JPEG) with no smoothing at edges");
            }
        }
        Check(path, labels, w, classes, ignore);
        return new LabelMap(labels, h, w);
    }

    /// <summary>Every value is a class in 0..classes-1 or the ignore value; the message names the first pixel that is not.</summary>
    public static void Check(string path, int[] labels, int width, int classes, int ignore)
    {
        for (int i = 0; i < labels.Length; i++)
        {
            int v = labels[i];
            if (v != ignore && (v < 0 || v >= classes))
                throw new InvalidDataException($"label image '{path}' has value {v} at x={i % width}, y={i / width}, outside the " +
                    $"classes 0..{classes - 1} and the unlabelled value {ignore}; check the number of classes or the label file");
        }
    }

    private static int Pack((byte R, byte G, byte B) c) => (c.R << 16) | (c.G << 8) | c.B;
}
