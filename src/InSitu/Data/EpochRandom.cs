using InSitu.Common;

namespace InSitu.Data;

/// <summary>
/// The random streams of an epoch. Every draw a batch source makes comes from a stream keyed by (seed, epoch,
/// position) and never from a shared generator, so which worker prepares a batch, and when, cannot change it.
/// </summary>
internal static class EpochRandom
{
    /// <summary>The stream of one item (image, patch) at its position in the epoch; position -1 orders the epoch.</summary>
    public static ulong Key(int seed, int epoch, int position) =>
        ((ulong)(uint)seed << 40) ^ ((ulong)(uint)epoch << 24) ^ (uint)(position + 1) * 0x9E3779B1UL;

    /// <summary>
    /// A stream for another purpose at the same (seed, epoch, index), e.g. which instances of a bag are kept, so that
    /// it does not replay the draws of the image at that position.
    /// </summary>
    public static ulong Key(int seed, int epoch, int index, Purpose purpose) =>
        Key(seed, epoch, index) ^ ((ulong)purpose * 0xD1B54A32D192ED03UL);

    public static void Shuffle<T>(T[] items, SeededRandom r)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = r.Int(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>A uniform whole number in [0, n) for counts beyond int (patch positions over a whole dataset).</summary>
    public static long Long(SeededRandom r, long n)
    {
        ulong v = ((ulong)r.NextUInt() << 32) | r.NextUInt();
        return (long)(v % (ulong)n); // the bias of the remainder is below n / 2^64
    }

    public enum Purpose
    {
        BagInstances = 1,
    }
}
