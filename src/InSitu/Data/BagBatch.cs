using InSitu.Torch;

namespace InSitu.Data;

/// <summary>
/// B bags of variable length, packed: the images of all bags one after the other (sum of n_i) x C x H x W, bag i's
/// being rows Offsets[i] .. Offsets[i] + Lengths[i] - 1; a multi-hot target per bag (B x T) when the source has
/// targets; the bags' ids and the manifest rows of the packed images.
/// </summary>
public sealed class BagBatch : IDisposable
{
    public BagBatch(Tensor images, Tensor offsets, Tensor lengths, Tensor? targets, string[] bagIds, int[] rows)
    {
        Images = images;
        Offsets = offsets;
        Lengths = lengths;
        Targets = targets;
        BagIds = bagIds;
        Rows = rows;
    }

    public Tensor Images { get; }
    /// <summary>int64, B: where each bag's images start in <see cref="Images"/>.</summary>
    public Tensor Offsets { get; }
    /// <summary>int64, B: how many images each bag has in this batch (at most the source's maximum).</summary>
    public Tensor Lengths { get; }
    /// <summary>float32 multi-hot, B x T.</summary>
    public Tensor? Targets { get; }
    public string[] BagIds { get; }
    /// <summary>The manifest row of each packed image.</summary>
    public int[] Rows { get; }

    public int Bags => BagIds.Length;

    public void Dispose()
    {
        Images.Dispose();
        Offsets.Dispose();
        Lengths.Dispose();
        Targets?.Dispose();
    }
}
