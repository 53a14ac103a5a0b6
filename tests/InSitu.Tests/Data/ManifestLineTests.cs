using InSitu.Data;

namespace InSitu.Tests.Data;

/// <summary>An image that cannot be read while training names the manifest line of its entry as well as the file.</summary>
public class ManifestLineTests : TempFolderTest
{
    [Fact]
    public void ABadImageInAManifestNamesItsLine()
    {
        using (var t = Tensor.FromArray(new byte[16 * 16], 16, 16)) ImageIO.Write(Path.Combine(dir, "good.png"), t);
        File.WriteAllText(Path.Combine(dir, "bad.png"), "not an image");
        var csv = Path.Combine(dir, "m.csv");
        File.WriteAllText(csv, "path,label\ngood.png,a\n\nbad.png,b\n");
        var manifest = SplitMaker.Split(Manifest.Load(csv), 1, 0, 0, seed: 1); // derived manifests keep where rows came from
        Assert.Equal($"{csv}:4", manifest.Where(1));
        var loader = new ImageBatchLoader(manifest, new LoaderOptions { Height = 16, Width = 16, BatchSize = 2 }, _ => 0);
        var e = Assert.Throws<InvalidDataException>(() =>
        {
            foreach (var batch in loader.Epoch(0)) batch.Dispose();
        });
        Assert.StartsWith($"{csv}:4: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("bad.png", e.Message, StringComparison.Ordinal);
        Assert.Null(new Manifest(manifest.Rows, dir).Where(0));
    }
}
