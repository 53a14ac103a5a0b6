using InSitu.Data;
using InSitu.Torch;
using InSitu.Torch.NN;
using InSitu.Training;

namespace InSitu.Workflows.Bags;

/// <summary>
/// The self-supervised warm-up (the paper's section II-E and its code's step 1): two augmented images of one bag go through
/// the CNN, and the mean squared error between their pooled representations is minimised, so the network learns what the
/// images of one gene at one stage share before it sees any label. Validation measures the same error on validation pairs
/// (lower is better; the best epoch is kept); without validation pairs the latest epoch rates best.
/// </summary>
public sealed class WarmupTask(ImageAttributeNetwork cnn, IBatchSource<BagBatch>? validationPairs) : ITrainingTask<BagBatch>
{
    private int _epochs;

    public Module Model => cnn;

    public string SelectionMetric => "negative_pair_mse";

    public StepOutput Step(BagBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var (loss, pairs) = PairLoss(batch);
        return new StepOutput(loss, pairs);
    }

    /// <summary>MSE between the two images' features of every bag served with two; a batch without a pair gives 0.</summary>
    private (Tensor loss, int pairs) PairLoss(BagBatch batch)
    {
        var features = cnn.Features(batch.Images);
        var offsets = batch.Offsets.ToLongArray();
        var lengths = batch.Lengths.ToLongArray();
        var first = new List<long>();
        var second = new List<long>();
        for (int i = 0; i < batch.Bags; i++)
            if (lengths[i] >= 2)
            {
                first.Add(offsets[i]);
                second.Add(offsets[i] + 1);
            }
        if (first.Count == 0) return (features.Sum().Mul(0), 0);
        var a = features.IndexSelect(0, Tensor.FromArray(first.ToArray()));
        var b = features.IndexSelect(0, Tensor.FromArray(second.ToArray()));
        return (F.MseLoss(a, b), first.Count);
    }

    public IReadOnlyDictionary<string, double> Validate()
    {
        double sum = 0;
        int pairs = 0;
        if (validationPairs is null) return new Dictionary<string, double> { ["pair_mse"] = double.NaN, ["negative_pair_mse"] = ++_epochs };
        using var inference = Autograd.InferenceMode();
        foreach (var batch in validationPairs.Epoch(0))
            using (batch)
            using (TorchRuntime.NewDisposeScope())
            {
                var (loss, n) = PairLoss(batch);
                sum += loss.Item() * n;
                pairs += n;
            }
        double mse = pairs == 0 ? 0 : sum / pairs;
        return new Dictionary<string, double> { ["pair_mse"] = mse, ["negative_pair_mse"] = -mse };
    }
}
