using InSitu.Data;
using InSitu.Torch;
using InSitu.Torch.NN;

namespace InSitu.Training;

/// <summary>
/// Re-estimates the running statistics of every batch norm of a network from images (no labels, no gradients), as
/// PyTorch's swa_utils.update_bn does: for a network whose weights were not trained on these images (e.g. random
/// ones), whose stored statistics describe nothing. Each batch passes through with batch statistics, layer after layer,
/// and the running mean and variance become the plain average over the batches (whatever the layer's momentum).
/// </summary>
public static class BatchNormRecalibration
{
    /// <param name="forward">The pass to run (default: the model's forward pass), e.g. only as far as the layers in use.</param>
    public static void Recalibrate(Module<Tensor, Tensor> model, IBatchSource<ImageBatch> images, int batches,
        Action<Tensor>? forward = null)
    {
        var norms = model.NamedModules().Select(m => m.module).OfType<BatchNorm2d>().ToList();
        if (norms.Count == 0) return;
        var seen = new Dictionary<BatchNorm2d, int>();
        var hooks = norms.Select(bn => bn.RegisterForwardHook((m, input, _) =>
        {
            var norm = (BatchNorm2d)m;
            int k = seen.GetValueOrDefault(norm);
            seen[norm] = k + 1;
            long count = input.Size(0) * input.Size(2) * input.Size(3);
            var mean = input.Mean([0, 2, 3]);
            var variance = input.Var([0, 2, 3], unbiased: false);
            var unbiased = count > 1 ? variance.Mul(count / (double)(count - 1)) : variance;
            // cumulative average: after k + 1 batches each has weight 1 / (k + 1)
            norm.RunningMean.Mul_(k / (k + 1.0)).Add_(mean, 1 / (k + 1.0));
            norm.RunningVar.Mul_(k / (k + 1.0)).Add_(unbiased, 1 / (k + 1.0));
            return F.BatchNorm(input, null, null, norm.Weight, norm.Bias, training: true, eps: norm.Eps);
        })).ToList();
        try
        {
            model.Eval();
            foreach (var bn in norms)
            {
                bn.RunningMean.Zero_();
                bn.RunningVar.Fill_(1);
            }
            int done = 0;
            using var noGrad = Autograd.NoGrad();
            foreach (var batch in images.Epoch(0))
                using (batch)
                using (TorchRuntime.NewDisposeScope())
                {
                    if (batch.Rows.Length < 2) continue;
                    if (forward is null) model.Forward(batch.Images);
                    else forward(batch.Images);
                    if (++done >= batches) break;
                }
        }
        finally
        {
            foreach (var h in hooks) h.Dispose();
        }
    }
}
