namespace InSitu.Tests;

public static class TestPaths
{
    /// <summary>../shared/data relative to the repository root (found by walking up from the test binary).</summary>
    public static string SharedData
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            {
                var candidate = Path.Combine(d.FullName, "shared", "data");
                if (Directory.Exists(candidate) && File.Exists(Path.Combine(d.FullName, "shared", "data", "README.md"))) return candidate;
                var sibling = Path.Combine(d.FullName, "..", "shared", "data");
                if (File.Exists(Path.Combine(d.FullName, "Makefile")) && Directory.Exists(sibling)) return Path.GetFullPath(sibling);
            }
            throw new DirectoryNotFoundException("../shared/data was not found next to the repository");
        }
    }

    /// <summary>The repository root: the folder above the test binary that holds InSitu.slnx.</summary>
    public static string Repository
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "InSitu.slnx"))) return d.FullName;
            throw new DirectoryNotFoundException($"InSitu.slnx not found in any folder above {AppContext.BaseDirectory}");
        }
    }
}
