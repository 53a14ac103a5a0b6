using InSitu.Data;
using InSitu.Imaging;

namespace InSitu.Tests.Data;

/// <summary>The label formats annotators produce: grey class numbers, indexed PNGs, colour PNGs with a palette file.</summary>
public class LabelImageTests : TempFolderTest
{
    private string Colour(string name, (byte R, byte G, byte B, byte A)[] pixels, int width)
    {
        var path = Path.Combine(dir, name);
        var bytes = pixels.SelectMany(p => new[] { p.R, p.G, p.B, p.A }).ToArray();
        using var t = Tensor.FromArray(bytes, pixels.Length / width, width, 4);
        ImageIO.Write(path, t);
        return path;
    }

    private string Palette(string json)
    {
        var path = Path.Combine(dir, "palette.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void GreyLabelsAreClassNumbersWithTheUnlabelledValue()
    {
        var path = Path.Combine(dir, "grey.png");
        SourceTestData.WriteMask(path, 2, 3, (y, x) => y == 0 ? x : 255);
        var map = LabelImage.Read(path, classes: 3);
        Assert.Equal(new[] { 0, 1, 2, 255, 255, 255 }, map.Labels);
        Assert.Equal(3, map.Annotated(255));
        var e = Assert.Throws<InvalidDataException>(() => LabelImage.Read(path, classes: 2));
        Assert.Contains("'" + path + "' has value 2 at x=2, y=0, outside the classes 0..1", e.Message);
    }

    [Fact]
    public void ColourLabelsMapThroughThePaletteAndTransparencyIsUnlabelled()
    {
        var palette = LabelPalette.Load(Palette(
            "{\"classes\": [{\"name\": \"bg\", \"color\": \"#0000ff\"}, {\"name\": \"cell\", \"color\": [255, 0, 0]}], \"unlabelled\": " +
                "\"#000000\"}"));
        Assert.Equal(new[] { "bg", "cell" }, palette.Names);
        var path = Colour("c.png", [(0, 0, 255, 255), (255, 0, 0, 255), (0, 0, 0, 255), (255, 0, 0, 0)], 2);
        Assert.Equal(new[] { 0, 1, 255, 255 }, LabelImage.Read(path, 2, palette).Labels);
        var odd = Colour("odd.png", [(0, 0, 255, 255), (250, 3, 0, 255)], 2);
        var e = Assert.Throws<InvalidDataException>(() => LabelImage.Read(odd, 2, palette));
        Assert.Contains("colour #fa0300 at x=1, y=0, which is no class of its palette", e.Message);
        var noPalette = Assert.Throws<InvalidDataException>(() => LabelImage.Read(path, 2));
        Assert.Contains("--palette", noPalette.Message);
    }

    [Theory]
    [InlineData("{\"classes\": [{\"color\": \"#000000\"}]}", "at least 2")]
    [InlineData("{\"classes\": [{\"color\": \"#000000\"}, {\"color\": \"#000000\"}]}", "given to two classes")]
    [InlineData("{\"classes\": [{\"color\": \"red\"}, {\"color\": \"#000000\"}]}", "$.classes[0]: a colour is")]
    [InlineData("{\"classes\": [{\"color\": \"#ff0000\"}, {\"color\": \"#000000\"}], \"unlabelled\": \"#ff0000\"}", "is a class colour")]
    [InlineData("not json", "not valid JSON")]
    public void BadPalettesAreRefusedNamingTheProblem(string json, string message)
    {
        var e = Assert.Throws<InvalidDataException>(() => LabelPalette.Load(Palette(json)));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Contains("palette.json", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnIndexedPngMeansItsPaletteIndices()
    {
        var path = Path.Combine(dir, "indexed.png");
        using (var png = new PngStreamWriter(path, 2, 2, PngFormat.Indexed8, [(9, 9, 9), (200, 0, 0), (0, 200, 0)]))
        {
            png.WriteRow(new byte[] { 0, 2 });
            png.WriteRow(new byte[] { 1, 1 });
            png.Complete();
        }
        Assert.Equal(new[] { 0, 2, 1, 1 }, LabelImage.Read(path, 3).Labels);
        Assert.Null(LabelImage.PngPalette(Colour("rgb.png", [(1, 2, 3, 255)], 1)));
    }
}
