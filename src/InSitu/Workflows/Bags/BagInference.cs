using InSitu.Data;
using InSitu.Torch;

namespace InSitu.Workflows.Bags;

/// <summary>What the CNN says about each image of a bag: its features (n x D, row-major) and attribute probabilities (n x T).</summary>
public sealed record ImageOutputs(float[] Features, float[] Probabilities, int Images);

/// <summary>
/// Running trained networks over bags in eval mode, batch by batch: the CNN over a <see cref="BagBatchSource"/> (every
/// image once, unaugmented), the bag model over feature bags, and the CNN-only rule (a bag's probabilities are the mean of
/// its images').
/// </summary>
public static class BagInference
{
    /// <summary>The CNN's features and probabilities of every image, by bag id.</summary>
    public static Dictionary<string, ImageOutputs> Images(ImageAttributeNetwork cnn, IBatchSource<BagBatch> bags,
        CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(cnn);
        ArgumentNullException.ThrowIfNull(bags);
        cnn.Eval();
        using var inference = Autograd.InferenceMode();
        var result = new Dictionary<string, ImageOutputs>(StringComparer.Ordinal);
        int width = cnn.FeatureWidth, t = cnn.Attributes;
        foreach (var batch in bags.Epoch(0, cancel))
            using (batch)
            using (TorchRuntime.NewDisposeScope())
            {
                var features = cnn.Features(batch.Images);
                var probabilities = cnn.Head.Forward(features).Sigmoid();
                var f = features.ToFloatArray();
                var p = probabilities.ToFloatArray();
                var offsets = batch.Offsets.ToLongArray();
                var lengths = batch.Lengths.ToLongArray();
                for (int i = 0; i < batch.Bags; i++)
                {
                    int n = (int)lengths[i], at = (int)offsets[i];
                    result[batch.BagIds[i]] = new ImageOutputs(f[(at * width)..((at + n) * width)], p[(at * t)..((at + n) * t)], n);
                }
            }
        return result;
    }

    /// <summary>A bag's probabilities as the mean of its images' (the CNN-only baseline).</summary>
    public static double[] MeanOfImages(ImageOutputs outputs, int attributes)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        var mean = new double[attributes];
        for (int i = 0; i < outputs.Images; i++)
            for (int m = 0; m < attributes; m++) mean[m] += outputs.Probabilities[i * attributes + m];
        for (int m = 0; m < attributes; m++) mean[m] /= outputs.Images;
        return mean;
    }

    /// <summary>The bag model's probabilities for feature bags, <paramref name="batch"/> bags at a time, by bag id.</summary>
    public static Dictionary<string, double[]> Sequences(BagSequenceModel model, IReadOnlyList<(string Id, float[] Features)> bags,
        int batch = 64)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(bags);
        model.Eval();
        using var inference = Autograd.InferenceMode();
        var result = new Dictionary<string, double[]>(StringComparer.Ordinal);
        for (int start = 0; start < bags.Count; start += batch)
        {
            var slice = bags.Skip(start).Take(batch).ToList();
            using var scope = TorchRuntime.NewDisposeScope();
            var packed = PackedBags.Of(slice.Select(b => b.Features).ToList(), model.FeatureWidth);
            var p = model.Forward(packed).Sigmoid();
            int t = (int)p.Size(1);
            var flat = p.ToFloatArray();
            for (int i = 0; i < slice.Count; i++) result[slice[i].Id] = flat[(i * t)..((i + 1) * t)].Select(v => (double)v).ToArray();
        }
        return result;
    }
}
