using InSitu.Torch;
using InSitu.Torch.NN;

namespace InSitu.Tests;

/// <summary>
/// Fresh batch norms are the identity in eval mode, so a lost, misnamed or wrongly folded buffer would go unseen;
/// random affine parameters and running statistics make it show.
/// </summary>
public static class BatchNormStatistics
{
    public static void Randomise(Module model)
    {
        using var noGrad = Autograd.NoGrad();
        foreach (var (_, m) in model.NamedModules())
            if (m is BatchNorm2d bn)
            {
                bn.Weight.Copy_(Factory.Rand(new[] { bn.NumFeatures }).Add(0.5));
                bn.Bias.Copy_(Factory.Randn(new[] { bn.NumFeatures }).Mul(0.2));
                bn.RunningMean.Copy_(Factory.Randn(new[] { bn.NumFeatures }).Mul(0.2));
                bn.RunningVar.Copy_(Factory.Rand(new[] { bn.NumFeatures }).Add(0.5));
            }
    }
}
