using InSitu.Data;
using InSitu.Torch;
using InSitu.Torch.NN;

namespace InSitu.Training;

/// <summary>
/// Single-label image classification: cross-entropy on the model's logits unless a workflow plugs in its own loss
/// (which must still return the logits it scored), top-1 accuracy on validation selects the model.
/// </summary>
public sealed class ClassificationTask(
    Module<Tensor, Tensor> model, IBatchSource<ImageBatch> validation, Func<ImageBatch, (Tensor loss, Tensor logits)>? loss = null)
    : ITrainingTask<ImageBatch>
{
    public Module Model => model;

    public string SelectionMetric => "accuracy";

    public StepOutput Step(ImageBatch batch)
    {
        var labels = batch.Labels ?? throw new InvalidOperationException("classification needs labelled batches");
        var (value, logits) = loss is null ? CrossEntropy(batch.Images, labels) : loss(batch);
        return new StepOutput(value, batch.Rows.Length, logits.ArgMax(1).Eq(labels).Sum().Item());
    }

    private (Tensor, Tensor) CrossEntropy(Tensor x, Tensor y)
    {
        var logits = model.Forward(x);
        return (F.CrossEntropy(logits, y), logits);
    }

    public IReadOnlyDictionary<string, double> Validate() =>
        new Dictionary<string, double> { ["accuracy"] = Inference.Accuracy(model, validation) };
}
