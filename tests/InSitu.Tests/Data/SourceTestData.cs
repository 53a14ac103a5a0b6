using InSitu.Data;

namespace InSitu.Tests.Data;

/// <summary>Tiny images written to a test's folder, and epochs read back as plain arrays to compare.</summary>
internal static class SourceTestData
{
    /// <summary>An RGB image whose pixels differ from those of every other <paramref name="index"/>.</summary>
    public static void WriteDistinct(string path, int index, int height, int width)
    {
        var px = new byte[height * width * 3];
        for (int k = 0; k < px.Length; k++) px[k] = (byte)((k * (index + 3) + index * 17) % 251);
        Write(path, px, height, width, 3);
    }

    /// <summary>An RGB image that says where each pixel is: red = x, green = y, blue = <paramref name="blue"/>.</summary>
    public static void WriteCoordinates(string path, int height, int width, byte blue = 7)
    {
        var px = new byte[height * width * 3];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                (px[(y * width + x) * 3], px[(y * width + x) * 3 + 1], px[(y * width + x) * 3 + 2]) = ((byte)x, (byte)y, blue);
        Write(path, px, height, width, 3);
    }

    /// <summary>A single-channel 8-bit mask with the given label per pixel.</summary>
    public static void WriteMask(string path, int height, int width, Func<int, int, int> label)
    {
        var px = new byte[height * width];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++) px[y * width + x] = (byte)label(y, x);
        Write(path, px, height, width, 1);
    }

    private static void Write(string path, byte[] px, int height, int width, int channels)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var t = Tensor.FromArray(px, height, width, channels);
        ImageIO.Write(path, t);
    }

    /// <summary>Every tensor and index of an epoch's batches as arrays, in order, disposing each batch.</summary>
    public static List<object?> Contents<TBatch>(IBatchSource<TBatch> source, int epoch) where TBatch : IDisposable
    {
        var contents = new List<object?>();
        foreach (var batch in source.Epoch(epoch))
            using (batch)
                switch (batch)
                {
                    case ImageBatch b:
                        contents.AddRange(new object?[]
                            { b.Images.ToFloatArray(), b.Labels?.ToLongArray(), b.Targets?.ToFloatArray(), b.Rows });
                        break;
                    case BagBatch b:
                        contents.AddRange(new object?[] { b.Images.ToFloatArray(), b.Offsets.ToLongArray(), b.Lengths.ToLongArray(),
                            b.Targets?.ToFloatArray(), b.BagIds, b.Rows });
                        break;
                    case PatchBatch b:
                        contents.AddRange(new object?[] { b.Images.ToFloatArray(), b.Masks?.ToLongArray(), b.Pairs, b.Origins });
                        break;
                }
        return contents;
    }

    /// <summary>Whether two epochs' contents are equal, element by element and bit for bit.</summary>
    public static bool Same(List<object?> a, List<object?> b) =>
        a.Count == b.Count && a.Zip(b).All(p => p.First switch
        {
            null => p.Second is null,
            float[] f => p.Second is float[] g && f.AsSpan().SequenceEqual(g),
            long[] l => p.Second is long[] m && l.AsSpan().SequenceEqual(m),
            int[] i => p.Second is int[] j && i.AsSpan().SequenceEqual(j),
            string[] s => p.Second is string[] t && s.SequenceEqual(t),
            (int, int)[] o => p.Second is (int, int)[] q && o.SequenceEqual(q),
            _ => throw new ArgumentException($"no comparison for {p.First.GetType().Name}"),
        });
}
