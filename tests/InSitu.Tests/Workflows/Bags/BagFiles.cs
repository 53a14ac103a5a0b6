using System.Globalization;
using InSitu.Data;

namespace InSitu.Tests.Workflows.Bags;

/// <summary>Small bag datasets on disk for the bag tests: grey 40x120 PNGs and a manifest.</summary>
internal static class BagFiles
{
    /// <summary>One image per entry: (bag, range, terms, split), written as dir/img{i}.png; returns the manifest's path.</summary>
    public static string Write(string dir, IReadOnlyList<(string bag, int range, string terms, string? split)> images, int seed = 1)
    {
        var r = new Random(seed);
        var lines = new List<string> { "path,range,gene,terms,bag,split" };
        for (int i = 0; i < images.Count; i++)
        {
            var (bag, range, terms, split) = images[i];
            var px = new byte[40 * 120];
            r.NextBytes(px);
            using (var t = Tensor.FromArray(px, 40, 120, 1)) ImageIO.Write(Path.Combine(dir, $"img{i}.png"), t);
            var gene = bag.Split('_')[0];
            lines.Add(Csv.Line(new[] { $"img{i}.png", range.ToString(CultureInfo.InvariantCulture), gene, terms, bag, split ?? "" }));
        }
        var file = Path.Combine(dir, "manifest.csv");
        File.WriteAllText(file, string.Join("\n", lines) + "\n");
        return file;
    }
}
