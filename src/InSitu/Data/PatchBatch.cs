using InSitu.Torch;

namespace InSitu.Data;

/// <summary>
/// Patches cut from image/mask pairs: images N x C x h x w (float32, normalised), masks N x h x w (int64 classes,
/// the ignore value kept; null when the source has no masks), and where each patch came from.
/// </summary>
public sealed class PatchBatch : IDisposable
{
    public PatchBatch(Tensor images, Tensor? masks, int[] pairs, (int Y, int X)[] origins)
    {
        Images = images;
        Masks = masks;
        Pairs = pairs;
        Origins = origins;
    }

    public Tensor Images { get; }
    public Tensor? Masks { get; }
    /// <summary>The index of each patch's pair in the source's list.</summary>
    public int[] Pairs { get; }
    /// <summary>Each patch's top-left pixel in its (rescaled) image, to put tile predictions back together.</summary>
    public (int Y, int X)[] Origins { get; }

    public void Dispose()
    {
        Images.Dispose();
        Masks?.Dispose();
    }
}
