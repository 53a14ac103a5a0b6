using System.Collections.Concurrent;

namespace InSitu.Data;

/// <summary>
/// Keeps decoded, resized images (before augmentation) in memory up to a byte budget, so epochs after the first
/// skip decoding for whatever fits; the rest streams from disk as before. Entries are keyed by file and input
/// geometry, so loaders of one dataset (training, validation, several seeds) share it safely.
/// </summary>
public sealed class DecodedImageCache
{
    private readonly ConcurrentDictionary<(string path, int height, int width, bool gray), float[]> _images = new();
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
    public float[] GetOrDecode(string path, LoaderOptions options, Func<string, float[]> decode)
    {
        var key = (path, options.Height, options.Width, options.Gray);
        if (_images.TryGetValue(key, out var hit)) return hit;
        var image = decode(path);
        long size = image.Length * sizeof(float);
        if (Interlocked.Add(ref _bytes, size) <= BudgetBytes && _images.TryAdd(key, image)) return image;
        Interlocked.Add(ref _bytes, -size);
        return image;
    }
}
