using InSitu.Torch;
using InSitu.Torch.Optim;

namespace InSitu.Training;

/// <summary>
/// One optimisation step as the <see cref="Trainer{TBatch}"/> runs it (and the engine benchmark, so that it measures the
/// same path): gradients set to none, forward pass and loss in the precision's region, backward, optimizer update.
/// </summary>
public static class OptimizationStep
{
    /// <summary>
    /// Runs <paramref name="forward"/> (forward pass and loss) and updates the parameters from the loss's gradients. The
    /// tensor handles the forward pass made, other than the loss, are released before the backward pass (autograd keeps
    /// what it needs, and frees each saved activation once its gradient is done). The loss belongs to the caller's
    /// dispose scope.
    /// </summary>
    public static StepOutput Run(Optimizer optimizer, TrainingPrecision precision, Func<StepOutput> forward)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(forward);
        optimizer.ZeroGrad();
        StepOutput step;
        using (var scope = TorchRuntime.NewDisposeScope())
        using (precision.ForwardRegion())
        {
            step = forward();
            scope.MoveToOuter(step.Loss);
        }
        step.Loss.Backward();
        optimizer.Step();
        return step;
    }
}
