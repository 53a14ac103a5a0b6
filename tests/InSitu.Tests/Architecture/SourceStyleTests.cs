namespace InSitu.Tests.Architecture;

/// <summary>The source style the formatter does not enforce: no C# line over the .editorconfig's max_line_length.</summary>
public class SourceStyleTests
{
    private const int MaxLineLength = 140;

    [Fact]
    public void NoCSharpLineIsLongerThanTheLimit()
    {
        var root = TestPaths.Repository;
        var tooLong = new List<string>();
        foreach (var folder in new[] { "src", "tests", "bench" })
        {
            var dir = Path.Combine(root, folder);
            if (!Directory.Exists(dir)) continue;
            foreach (var file in Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
                if (relative.Split('/').Any(part => part is "bin" or "obj")) continue;
                var lines = File.ReadAllLines(file);
                for (int i = 0; i < lines.Length; i++)
                    if (lines[i].Length > MaxLineLength) tooLong.Add($"{relative}:{i + 1} ({lines[i].Length} characters)");
            }
        }
        Assert.True(tooLong.Count == 0,
            $"{tooLong.Count} C# line(s) over {MaxLineLength} characters:\n{string.Join("\n", tooLong)}");
    }
}
