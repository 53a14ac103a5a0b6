namespace InSitu.Torch.NN;

/// <summary>Inference-time rewrites that change speed, not results.</summary>
public static class Fusion
{
    /// <summary>
    /// A convolution equal to conv followed by bn in eval mode: with s = gamma / sqrt(var + eps),
    /// W' = W * s (per output channel) and b' = (b - mean) * s + beta.
    /// </summary>
    public static Conv2d FoldBatchNorm(Conv2d conv, BatchNorm2d bn)
    {
        if (bn.NumFeatures != conv.OutChannels)
            throw new TorchException($"cannot fold BatchNorm2d({bn.NumFeatures}) into Conv2d with {conv.OutChannels} output channels");
        var fused = new Conv2d(conv.InChannels, conv.OutChannels, conv.KernelSize, conv.Stride, conv.Padding, conv.Dilation, conv.Groups, bias: true);
        using var noGrad = Autograd.NoGrad();
        using var scope = TorchRuntime.NewDisposeScope();
        var scale = bn.Weight.Div(bn.RunningVar.Add(bn.Eps).Sqrt());
        fused.Weight.SetData(conv.Weight.Mul(scale.View(-1, 1, 1, 1)).Contiguous());
        var bias = conv.Bias is null ? Factory.ZerosLike(bn.RunningMean) : conv.Bias.Detach();
        fused.Bias!.SetData(bias.Sub(bn.RunningMean).Mul(scale).Add(bn.Bias));
        fused.Train(false);
        return fused;
    }
}

/// <summary>A model that can fold its batch norms into the preceding convolutions for inference.</summary>
public interface IFusable
{
    /// <summary>Folds every conv+BN pair; the model must be in eval mode and is then inference-only.</summary>
    void FuseForInference();
}
