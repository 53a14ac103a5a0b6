using InSitu.Torch.NN;
using InSitu.Training;

namespace InSitu.Workflows.Bags;

/// <summary>
/// Training of the BiLSTM bag model on the CNN's features (METHODS.md section 5): <see cref="BagLoss"/> with the focal
/// gamma schedule of this phase and fixed weights (the paper: "no modifications on weights"), masks by the bag's range.
/// Validation as for the CNN, on the validation bags' features.
/// </summary>
public sealed class BagModelTask(BagSequenceModel model, BagLoss loss, EpochClock<FeatureBagBatch> clock,
    Func<IReadOnlyDictionary<string, double>> validate) : ITrainingTask<FeatureBagBatch>
{
    public Module Model => model;

    public string SelectionMetric => BagValidation.Selection;

    public StepOutput Step(FeatureBagBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var logits = model.Forward(batch.Bags);
        return new StepOutput(loss.Compute(logits, batch.Targets, batch.Masks, clock.Current), batch.Ids.Length);
    }

    public IReadOnlyDictionary<string, double> Validate() => validate();
}
