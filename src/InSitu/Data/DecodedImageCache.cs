using System.Collections.Concurrent;

namespace InSitu.Data;

/// <summary>
/// Keeps decoded, resized images (before augmentation) in memory up to a byte budget, so epochs after the first
/// skip decoding for whatever fits; the rest streams from disk as before. Entries are keyed by file and input
/// geometry, so loaders of one dataset (training, validation, several seeds) share it safely.
/// </summary>
public sealed class DecodedImageCache
{
    private readonly ConcurrentDictionary<(string path, string variant), object> _images = new();
    private long _bytes;

    public DecodedImageCache(long budgetBytes = 2L << 30)
    {
        if (budgetBytes < 0) throw new ArgumentException("the image cache budget cannot be negative");
        BudgetBytes = budgetBytes;
    }

    public long BudgetBytes { get; }
    public long Bytes => Interlocked.Read(ref _bytes);
    public int Images => _images.Count;

    /// <summary>The cached image, or <paramref name="decode"/>'s result (kept when it fits the budget).</summary>
    public float[] GetOrDecode(string path, LoaderOptions options, Func<string, float[]> decode) =>
        GetOrDecode(path, $"{options.Height}x{options.Width}{(options.Gray ? " grey" : " RGB")}", decode,
            image => image.Length * sizeof(float));

    /// <summary>
    /// The cached decoding of a file in one <paramref name="variant"/> (a geometry, an image with its mask), or
    /// <paramref name="decode"/>'s result, kept when its <paramref name="bytes"/> fit the budget.
    /// </summary>
    public T GetOrDecode<T>(string path, string variant, Func<string, T> decode, Func<T, long> bytes) where T : class
    {
        var key = (path, variant);
        if (_images.TryGetValue(key, out var hit)) return (T)hit;
        var value = decode(path);
        long size = bytes(value);
        if (Interlocked.Add(ref _bytes, size) <= BudgetBytes && _images.TryAdd(key, value)) return value;
        Interlocked.Add(ref _bytes, -size);
        return value;
    }
}
