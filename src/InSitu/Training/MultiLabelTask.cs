using InSitu.Data;
using InSitu.Evaluation;
using InSitu.Torch;
using InSitu.Torch.NN;

namespace InSitu.Training;

/// <summary>
/// Multi-label image classification, one sigmoid output per label sharing the whole network (multi-task learning):
/// the loss is the sum over labels of each label's binary cross-entropy (mean over the batch), and the mean ROC AUC
/// over the labels of the validation images (labels whose validation images lack a class left out) selects the model;
/// where no label's AUC is defined, the validation loss does (negated, higher is better).
/// </summary>
public sealed class MultiLabelTask(Module<Tensor, Tensor> model, IBatchSource<ImageBatch> validation) : ITrainingTask<ImageBatch>
{
    public Module Model => model;

    public string SelectionMetric => "selection";

    public StepOutput Step(ImageBatch batch)
    {
        var targets = batch.Targets ?? throw new InvalidOperationException("multi-label training needs batches with targets");
        var logits = model.Forward(batch.Images);
        return new StepOutput(Loss(logits, targets), batch.Rows.Length);
    }

    /// <summary>Sum over labels of the per-label BCE, each a mean over the batch.</summary>
    public static Tensor Loss(Tensor logits, Tensor targets) =>
        F.BinaryCrossEntropyWithLogits(logits, targets).Mul(targets.Size(1));

    public IReadOnlyDictionary<string, double> Validate()
    {
        var scores = new List<double[]>();
        var labels = new List<long[]>();
        double loss = 0;
        long seen = 0;
        using (Autograd.NoGrad())
            foreach (var batch in validation.Epoch(0))
                using (batch)
                using (TorchRuntime.NewDisposeScope())
                {
                    if (batch.Rows.Length == 0) continue;
                    var targets = batch.Targets ?? throw new InvalidOperationException("multi-label validation needs targets");
                    var logits = model.Forward(batch.Images);
                    loss += Loss(logits, targets).Item() * batch.Rows.Length;
                    seen += batch.Rows.Length;
                    long t = targets.Size(1);
                    var p = logits.Sigmoid().Cast(DType.Float64).ToDoubleArray();
                    var y = targets.Cast(DType.Int64).ToLongArray();
                    for (int i = 0; i < batch.Rows.Length; i++)
                    {
                        scores.Add(p.AsSpan(i * (int)t, (int)t).ToArray());
                        labels.Add(y.AsSpan(i * (int)t, (int)t).ToArray());
                    }
                }
        double meanLoss = seen == 0 ? double.NaN : loss / seen;
        double auc = scores.Count == 0 ? double.NaN : RocAuc.Macro(scores.ToArray(), labels.ToArray()).Mean;
        return new Dictionary<string, double>
        {
            ["mean_auc"] = auc,
            ["loss"] = meanLoss,
            ["selection"] = double.IsNaN(auc) ? -meanLoss : auc,
        };
    }
}
