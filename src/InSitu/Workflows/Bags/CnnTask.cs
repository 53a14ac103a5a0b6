using InSitu.Data;
using InSitu.Torch;
using InSitu.Torch.NN;
using InSitu.Training;

namespace InSitu.Workflows.Bags;

/// <summary>
/// Per-image training of the CNN (METHODS.md section 5): every image carries its bag's attributes, and <see cref="BagLoss"/>
/// scores its logits with the epoch's gamma and tempered weights and its range's stage mask. Validation rates the CNN as a
/// bag classifier (mean of its images' probabilities, masked, thresholds chosen on the validation bags themselves) by the
/// published code's selection score 0.2 AUC + 0.4 macro F1 + 0.4 sample F1.
/// </summary>
public sealed class CnnTask(ImageAttributeNetwork cnn, BagLoss loss, EpochClock<ImageBatch> clock, Manifest images,
    Func<int?, float[]> mask, Func<IReadOnlyDictionary<string, double>> validate) : ITrainingTask<ImageBatch>
{
    public Module Model => cnn;

    public string SelectionMetric => BagValidation.Selection;

    public StepOutput Step(ImageBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var targets = batch.Targets ?? throw new InvalidOperationException("the CNN trains on images with targets");
        var logits = cnn.Forward(batch.Images);
        int t = (int)targets.Size(1);
        var masks = Tensor.FromArray(batch.Rows.SelectMany(r => mask(images.Rows[r].Range)).ToArray(), batch.Rows.Length, t);
        return new StepOutput(loss.Compute(logits, targets, masks, clock.Current), batch.Rows.Length);
    }

    public IReadOnlyDictionary<string, double> Validate() => validate();
}
