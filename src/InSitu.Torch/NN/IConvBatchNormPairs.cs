namespace InSitu.Torch.NN;

/// <summary>
/// A module that declares which of its child convolutions feed a child batch norm directly, so a generic pass
/// (<see cref="Fusion.FoldBatchNorms"/>) can fold them without knowing the module. A pair may be declared only when
/// the batch norm reads exactly the convolution's output and nothing else reads it.
/// </summary>
public interface IConvBatchNormPairs
{
    /// <summary>Child names: a <see cref="Conv2d"/> and the <see cref="BatchNorm2d"/> applied to its output.</summary>
    IEnumerable<(string conv, string batchNorm)> ConvBatchNormPairs();
}
