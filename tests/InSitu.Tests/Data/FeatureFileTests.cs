using InSitu.Data;

namespace InSitu.Tests.Data;

public class FeatureFileTests : TempFolderTest
{
    [Fact]
    public void RowsWrittenInChunksReadBackByRowAndByColumnBlock()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var values = Enumerable.Range(0, 7 * 5).Select(i => (float)i).ToArray();
        var path = Path.Combine(dir, "f.bin");
        using (var writer = FeatureFile.Create(path, 5, "{\"what\":\"test\"}"))
        {
            writer.Append(Tensor.FromArray(values[..15], 3, 5));
            writer.Append(Tensor.FromArray(values[15..], 4, 5));
            Assert.False(File.Exists(path)); // nothing under the final name until complete
            writer.Complete();
        }
        var file = FeatureFile.Open(path);
        Assert.Equal(7, file.Rows);
        Assert.Equal(5, file.Columns);
        Assert.Equal("{\"what\":\"test\"}", file.Metadata);
        Assert.Equal(values[30..35].Concat(values[5..10]), file.ReadRows([6, 1]).ToFloatArray());
        Assert.Equal(new float[] { 12, 13, 2, 3 }, file.ReadBlock([2, 0], 2, 2).ToFloatArray());
        Assert.Throws<ArgumentException>(() => file.ReadBlock([0], 4, 2));
        Assert.Throws<ArgumentException>(() => file.ReadRows([7]));
    }

    [Fact]
    public void AnAbandonedWriterLeavesNothing()
    {
        var path = Path.Combine(dir, "g.bin");
        using (var writer = FeatureFile.Create(path, 2, "{}"))
            writer.Append(Tensor.FromArray(new float[] { 1, 2 }, 1, 2));
        Assert.Empty(Directory.GetFiles(dir));
    }

    [Fact]
    public void TruncatedOrForeignFilesAreRefusedNamingThem()
    {
        var path = Path.Combine(dir, "h.bin");
        using (var writer = FeatureFile.Create(path, 3, "{}"))
        {
            writer.Append(Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3));
            writer.Complete();
        }
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^4]);
        var e = Assert.Throws<InvalidDataException>(() => FeatureFile.Open(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
        File.WriteAllText(path, "path,label\n");
        Assert.Contains("not an InSitu feature file", Assert.Throws<InvalidDataException>(() => FeatureFile.Open(path)).Message);
        Assert.Throws<FileNotFoundException>(() => FeatureFile.Open(Path.Combine(dir, "none.bin")));
    }
}
