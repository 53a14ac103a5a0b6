using InSitu.Tests;

namespace InSitu.Web.Tests;

public sealed class FileRootsTests : TempFolderTest
{
    [Fact]
    public void IdsResolveInsideTheRootsOnly()
    {
        var data = Path.Combine(dir, "data");
        var runs = Path.Combine(dir, "runs");
        Directory.CreateDirectory(Path.Combine(data, "a", "b"));
        Directory.CreateDirectory(Path.Combine(dir, "elsewhere"));
        File.WriteAllText(Path.Combine(data, "a", "b", "x.txt"), "x");
        Directory.CreateSymbolicLink(Path.Combine(data, "up"), "..");
        Directory.CreateSymbolicLink(Path.Combine(data, "a", "sib"), "b");
        Directory.CreateSymbolicLink(Path.Combine(data, "away"), Path.Combine(dir, "elsewhere"));
        File.CreateSymbolicLink(Path.Combine(data, "loop1"), Path.Combine(data, "loop2"));
        File.CreateSymbolicLink(Path.Combine(data, "loop2"), Path.Combine(data, "loop1"));
        var roots = new FileRoots(data, runs);
        Assert.True(Directory.Exists(runs)); // made when missing
        Assert.Equal(Path.Combine(data, "a", "b", "x.txt"), roots.ResolveFile("data/a/b/x.txt"));
        Assert.Equal(Path.Combine(data, "a", "b", "x.txt"), roots.ResolveFile("data/a/sib/x.txt")); // a link inside
        Assert.Equal(Path.Combine(data, "a", "b", "new.txt"), roots.Resolve("data/a/b/new.txt")); // not there yet: may be written
        Assert.Equal(data, roots.Resolve("data"));
        foreach (var bad in new[] { "data/../runs", "data/a/../../x", "/etc/passwd", "etc/passwd", "data/up/elsewhere", "data/away",
                     "data/away/x", "data/loop1", "data\\a", "data/a\0", "", "runs/./x", "DATA/a" })
            Assert.Null(roots.Resolve(bad));
        Assert.Equal("data/a/b/x.txt", roots.IdOf(Path.Combine(data, "a", "sib", "x.txt")));
        Assert.Null(roots.IdOf(Path.Combine(dir, "elsewhere")));
        Assert.Null(roots.Contain(Path.Combine(data, "away", "y.png")));
        Assert.Equal("/x/z", FileRoots.RealPath("/x/y/../z"));
    }

    [Fact]
    public void ANestedRootGetsTheMostSpecificId()
    {
        var runs = Path.Combine(dir, "runs");
        var data = Path.Combine(runs, "demo", "data");
        Directory.CreateDirectory(data);
        var roots = new FileRoots(data, runs);
        Assert.Equal("data/m.csv", roots.IdOf(Path.Combine(data, "m.csv")));
        Assert.Equal("runs/demo/report.html", roots.IdOf(Path.Combine(runs, "demo", "report.html")));
    }
}
