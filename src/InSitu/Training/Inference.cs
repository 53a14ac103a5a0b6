using InSitu.Data;
using InSitu.Torch;
using InSitu.Torch.NN;

namespace InSitu.Training;

/// <summary>A model run over a batch source in eval and inference mode, batch by batch, so memory stays bounded.</summary>
public static class Inference
{
    /// <summary><paramref name="f"/> of every batch's images, concatenated in the source's order.</summary>
    public static Tensor Map(IBatchSource<ImageBatch> source, Func<Tensor, Tensor> f)
    {
        // no-grad rather than inference mode: the result may later enter autograd (attribution, a fitted classifier)
        using var noGrad = Autograd.NoGrad();
        var parts = new List<Tensor>();
        try
        {
            foreach (var batch in source.Epoch(0))
                using (batch)
                using (TorchRuntime.NewDisposeScope())
                    parts.Add(f(batch.Images).DetachFromScope());
            return Tensor.Cat(parts);
        }
        finally
        {
            foreach (var p in parts) p.Dispose();
        }
    }

    /// <summary>The images themselves, as one tensor (for small sets held in memory, such as reference images).</summary>
    public static Tensor Images(IBatchSource<ImageBatch> source) => Map(source, x => x.Alias());

    /// <summary>Predicted class (arg max of the output) and the label of every item, in the source's order (eager).</summary>
    public static (long[] predicted, long[] labels) Classify(Module<Tensor, Tensor> model, IBatchSource<ImageBatch> source) =>
        Classify(model, source, new InferenceSettings(InferenceEngineKind.Eager), out _);

    /// <summary>
    /// As <see cref="Classify(Module{Tensor, Tensor}, IBatchSource{ImageBatch})"/>, on the engine the settings choose;
    /// <paramref name="engine"/> says which ran (<see cref="InferenceRunner.Description"/>).
    /// </summary>
    public static (long[] predicted, long[] labels) Classify(Module<Tensor, Tensor> model, IBatchSource<ImageBatch> source,
        InferenceSettings settings, out string engine)
    {
        using var runner = InferenceRunner.Create(model, settings);
        engine = runner.Description;
        Calibrate(runner, source, settings.CalibrationBatches);
        var predicted = new List<long>();
        var labels = new List<long>();
        foreach (var batch in source.Epoch(0))
            using (batch)
            using (TorchRuntime.NewDisposeScope())
            {
                if (batch.Images.Size(0) == 0) continue;
                predicted.AddRange(runner.Forward(batch.Images).ArgMax(1).ToLongArray());
                if (batch.Labels is { } y) labels.AddRange(y.ToLongArray());
            }
        return (predicted.ToArray(), labels.ToArray());
    }

    /// <summary>
    /// Feeds an int8 runner the first <paramref name="batches"/> non-empty batches of the source (others need none); a
    /// source without images leaves it uncalibrated, which only matters to a forward pass it will never get.
    /// </summary>
    public static void Calibrate(InferenceRunner runner, IBatchSource<ImageBatch> source, int batches)
    {
        if (!runner.NeedsCalibration) return;
        int seen = 0;
        foreach (var batch in source.Epoch(0))
            using (batch)
            {
                if (batch.Images.Size(0) == 0) continue;
                runner.Calibrate(batch.Images);
                if (++seen >= batches) break;
            }
    }

    /// <summary>Predicted class of each image of an in-memory N x C x H x W tensor, <paramref name="batch"/> at a time.</summary>
    public static long[] Classify(Module<Tensor, Tensor> model, Tensor images, int batch = 64)
    {
        model.Eval();
        using var inference = Autograd.InferenceMode();
        var result = new List<long>();
        for (long s = 0; s < images.Size(0); s += batch)
        {
            using var scope = TorchRuntime.NewDisposeScope();
            result.AddRange(model.Forward(images.Narrow(0, s, Math.Min(batch, images.Size(0) - s))).ArgMax(1).ToLongArray());
        }
        return result.ToArray();
    }

    /// <summary>Top-1 accuracy against the source's labels.</summary>
    public static double Accuracy(Module<Tensor, Tensor> model, IBatchSource<ImageBatch> source)
    {
        var (predicted, labels) = Classify(model, source);
        if (labels.Length != predicted.Length) throw new InvalidOperationException("accuracy needs a source with labels");
        return predicted.Length == 0 ? 0 : (double)predicted.Where((p, i) => p == labels[i]).Count() / predicted.Length;
    }
}
