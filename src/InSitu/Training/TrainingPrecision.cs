using InSitu.Torch;

namespace InSitu.Training;

/// <summary>The arithmetic of a training step's forward pass and loss.</summary>
public enum TrainingPrecision
{
    /// <summary>float32 throughout.</summary>
    Fp32,

    /// <summary>
    /// bfloat16 mixed precision with float32 master weights: libtorch's CPU autocast (the same policy as PyTorch's
    /// torch.autocast("cpu", torch.bfloat16)) runs convolutions and matrix products in bfloat16 on bf16 copies of the
    /// float32 weights, the loss in float32, and batch norm on bfloat16 activations with float32 parameters and running
    /// statistics. Gradients reach the float32 weights; optimizer state and updates stay float32. Validation runs in
    /// float32. No loss scaling is needed: bfloat16 has float32's exponent range.
    /// </summary>
    Bf16,
}

public static class TrainingPrecisions
{
    /// <summary>
    /// The region a training step's forward pass and loss run in: CPU autocast for <see cref="TrainingPrecision.Bf16"/>,
    /// nothing for float32. The backward pass and the optimizer step run after it is disposed, as in PyTorch's recipe.
    /// </summary>
    public static IDisposable? ForwardRegion(this TrainingPrecision precision) => precision switch
    {
        TrainingPrecision.Fp32 => null,
        TrainingPrecision.Bf16 => TorchRuntime.AutocastCpu(DType.BFloat16),
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "unknown training precision"),
    };
}
