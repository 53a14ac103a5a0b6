using InSitu.Torch;
using InSitu.Torch.NN;

namespace InSitu.Training;

/// <summary>One training step's result: the loss to minimise, how many items it covered, and how many it got right
/// (NaN where "right" has no meaning, as for multi-label or per-pixel tasks).</summary>
public readonly record struct StepOutput(Tensor Loss, int Items, double Correct = double.NaN);

/// <summary>
/// What a workflow tells the <see cref="Trainer{TBatch}"/>: the model, the forward pass and loss of a training batch,
/// and the validation metrics, one of which (higher is better) selects the model that is kept.
/// </summary>
public interface ITrainingTask<in TBatch> where TBatch : IDisposable
{
    Module Model { get; }

    /// <summary>The key of <see cref="Validate"/>'s result that selects the best epoch; higher is better.</summary>
    string SelectionMetric { get; }

    /// <summary>Forward pass and loss of one training batch, in training mode and with gradients.</summary>
    StepOutput Step(TBatch batch);

    /// <summary>Metrics on held-out data (the trainer has put the model in eval mode).</summary>
    IReadOnlyDictionary<string, double> Validate();
}
