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
        var fused = new Conv2d(conv.InChannels, conv.OutChannels, conv.KernelSize, conv.Stride, conv.Padding, conv.Dilation,
            conv.Groups, bias: true);
        using var noGrad = Autograd.NoGrad();
        using var scope = TorchRuntime.NewDisposeScope();
        var scale = bn.Weight.Div(bn.RunningVar.Add(bn.Eps).Sqrt());
        fused.Weight.SetData(conv.Weight.Mul(scale.View(-1, 1, 1, 1)).Contiguous());
        var bias = conv.Bias is null ? Factory.ZerosLike(bn.RunningMean) : conv.Bias.Detach();
        fused.Bias!.SetData(bias.Sub(bn.RunningMean).Mul(scale).Add(bn.Bias));
        fused.Train(false);
        return fused;
    }

    /// <summary>
    /// Folds every batch norm that a module in the tree declares as directly following one of its convolutions
    /// (<see cref="IConvBatchNormPairs"/>; a <see cref="Sequential"/> declares its adjacent conv, BN layers): the
    /// convolution is replaced by the folded one and the batch norm by an <see cref="Identity"/>, so the state dict
    /// loses the batch norms and the model is inference-only. The batch norms must be in eval mode. Hooks on the
    /// replaced modules go with them. Returns the number of pairs folded; a second pass finds none.
    /// </summary>
    public static int FoldBatchNorms(Module root)
    {
        // All pairs are found and checked first, so a refused pass leaves the model untouched.
        var pairs = new List<(Module parent, string convName, Conv2d conv, string bnName, BatchNorm2d bn)>();
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        foreach (var (path, module) in root.NamedModules())
        {
            if (module is not IConvBatchNormPairs declared || !seen.Add(module)) continue;  // a shared module folds once
            var children = module.NamedChildren().ToDictionary(c => c.name, c => c.module);
            foreach (var (convName, bnName) in declared.ConvBatchNormPairs())
            {
                if (!children.TryGetValue(convName, out var c) || !children.TryGetValue(bnName, out var b))
                    throw new ArgumentException(
                        $"{module.GetType().Name} declares a conv+BN pair ('{convName}', '{bnName}') that is not among its children");
                if (c is not Conv2d conv || b is not BatchNorm2d bn) continue;  // already folded
                if (bn.Training)
                {
                    var name = path.Length == 0 ? bnName : $"{path}.{bnName}";
                    throw new InvalidOperationException($"batch norm '{name}' is in training mode: call Eval() before folding");
                }
                pairs.Add((module, convName, conv, bnName, bn));
            }
        }
        foreach (var (parent, convName, conv, bnName, bn) in pairs)
        {
            parent.ReplaceChild(convName, FoldBatchNorm(conv, bn));
            parent.ReplaceChild(bnName, new Identity());
            conv.Dispose();
            bn.Dispose();
        }
        return pairs.Count;
    }
}

/// <summary>A model that can fold its batch norms into the preceding convolutions for inference.</summary>
public interface IFusable
{
    /// <summary>Folds every conv+BN pair; the model must be in eval mode and is then inference-only.</summary>
    void FuseForInference();
}
