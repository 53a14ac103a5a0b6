using InSitu.Torch;
using InSitu.Torch.NN;

namespace InSitu.Models;

/// <summary>
/// Compiles an eval-mode <see cref="ResNet"/> into a fused oneDNN <see cref="InferencePlan"/>: each batch norm folded
/// into its convolution (on copies: the model is left as it is, folded or not), ReLU fused into the convolution before
/// it, and each block's residual addition and final ReLU fused into its second convolution, whose output is written
/// over the shortcut's. Then the 4x4 average pooling and the linear head. Output: the logits.
/// </summary>
public static class ResNetPlan
{
    public static InferencePlan Compile(ResNet net, PlanPrecision precision, ConvAlgorithm algorithm)
    {
        if (net.Training) throw new InvalidOperationException("put the model in eval mode before compiling it for inference");
        var c = net.Config;
        var plan = new InferencePlan(new long[] { c.InChannels, c.Height, c.Width }, precision, algorithm);
        try
        {
            using var noGrad = Autograd.NoGrad();
            var (stemConv, stemBn) = net.Stem;
            int x = AddConv(plan, InferencePlan.Input, stemConv, stemBn, relu: true);
            foreach (var stage in net.Stages)
                for (int b = 0; b < stage.Count; b++)
                {
                    var (conv1, bn1, conv2, bn2, shortcut) = ((BasicBlock)stage[b]).Layers;
                    int y = AddConv(plan, x, conv1, bn1, relu: true);
                    int s = shortcut.Count == 0 ? x : AddConv(plan, x, shortcut[0], shortcut[1], relu: false);
                    x = AddConv(plan, y, conv2, bn2, relu: true, residual: s);
                }
            int pooled = plan.Pool(x, PoolKind.Average, (c.PoolSize, c.PoolSize), (c.PoolSize, c.PoolSize));
            plan.SetOutput(plan.Linear(pooled, net.Head.Weight, net.Head.Bias));
            return plan;
        }
        catch
        {
            plan.Dispose();
            throw;
        }
    }

    // A convolution followed by a batch norm or, once the model is folded, by an identity.
    private static int AddConv(InferencePlan plan, int src, Module<Tensor, Tensor> convModule, Module<Tensor, Tensor> after, bool relu,
        int residual = -1)
    {
        if (convModule is not Conv2d conv || conv.Groups != 1 || conv.Dilation.Any(d => d != 1))
            throw new NotSupportedException($"a fused plan takes plain convolutions, not {convModule.GetType().Name}");
        (int, int) Pair(long[] v) => ((int)v[0], (int)v[1]);
        switch (after)
        {
            case BatchNorm2d bn:
                using (var folded = Fusion.FoldBatchNorm(conv, bn))
                    return plan.Conv(src, folded.Weight, folded.Bias, Pair(conv.Stride), Pair(conv.Padding), relu, residual);
            case Identity:
                return plan.Conv(src, conv.Weight, conv.Bias, Pair(conv.Stride), Pair(conv.Padding), relu, residual);
            default:
                throw new NotSupportedException($"a fused plan cannot follow a convolution by {after.GetType().Name}");
        }
    }
}
