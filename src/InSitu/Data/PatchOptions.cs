namespace InSitu.Data;

public enum PatchMode
{
    /// <summary><see cref="PatchOptions.PatchesPerEpoch"/> patches at random positions, new ones each epoch (training).</summary>
    Random,
    /// <summary>Sliding windows covering every image, the same each epoch (inference, evaluation).</summary>
    Tiles,
}

/// <summary>
/// How a <see cref="PatchBatchSource"/> cuts image/mask pairs into patches. The patch size, colour, normalisation,
/// batch size, seed and prefetch come from <see cref="LoaderOptions"/> (Height x Width is the patch).
/// </summary>
public sealed record PatchOptions
{
    public PatchMode Mode { get; init; } = PatchMode.Random;
    public int PatchesPerEpoch { get; init; } = 256;
    /// <summary>Random mode draws only among positions whose patch holds at least one labelled (not ignored) pixel.</summary>
    public bool RequireLabelled { get; init; } = true;
    /// <summary>The mask value of an unlabelled pixel: kept as it is in the batch, for the loss to skip.</summary>
    public int IgnoreValue { get; init; } = 255;
    /// <summary>Tiles mode: pixels shared by neighbouring tiles (0: tiles touch; the last row and column end at the edge).</summary>
    public int TileOverlap { get; init; }
    /// <summary>Image and mask are rescaled by this before cutting: area-averaged pixels, nearest-neighbour labels.</summary>
    public float Scale { get; init; } = 1;
    /// <summary>Random mode: augmentations of patch and mask together (quarter turns, elastic deformation, intensity jitter).</summary>
    public JointAugmentOptions? Joint { get; init; }
}
