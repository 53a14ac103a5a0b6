using System.Globalization;
using InSitu.Data;
using InSitu.Evaluation;
using InSitu.Models;
using InSitu.Torch;
using InSitu.Torch.NN;
using InSitu.Training;

namespace InSitu.Workflows.Segmentation;

/// <summary>
/// Training the recurrent U-Net on partially labelled patches (METHODS.md §6): cross-entropy over annotated pixels
/// only, at every recurrence step or the last, optionally weighted by inverse class frequency and joined by a soft
/// Dice loss; validation on held-out annotated patches (loss and mean IoU over the classes annotated there).
/// </summary>
public sealed class SegmentationTask : ITrainingTask<PatchBatch>, IDisposable
{
    private readonly UNet _net;
    private readonly SegmentationConfig _config;
    private readonly Tensor? _weights;
    private readonly List<(Tensor Images, Tensor Masks)> _validation = new();
    private const int Ignore = SegmentationData.Unlabelled;

    /// <param name="validation">
    /// Patches of the held-out labels (tiles mode); only those with an annotated pixel are kept, in memory.
    /// </param>
    /// <param name="trainPixels">Annotated training pixels per class, for the class weights.</param>
    public SegmentationTask(UNet net, SegmentationConfig config, PatchBatchSource validation, long[] trainPixels)
    {
        (_net, _config) = (net, config);
        if (config.BalanceClasses)
        {
            // inverse frequency normalised to mean 1 over the annotated classes, clamped so a handful of pixels cannot dominate
            long total = trainPixels.Sum();
            int present = trainPixels.Count(c => c > 0);
            var w = trainPixels.Select(c => c == 0 ? 1f : (float)Math.Clamp(total / (double)(present * c), 0.1, 10)).ToArray();
            _weights = Tensor.FromArray(w).DetachFromScope();
        }
        foreach (var batch in validation.Epoch(0))
            using (batch)
            using (TorchRuntime.NewDisposeScope())
            {
                var labelled = batch.Masks!.Ne(Ignore).Flatten(1).Cast(DType.Int32).Sum(1).Gt(0);
                var keep = labelled.Nonzero().Flatten();
                if (keep.Size(0) == 0) continue;
                _validation.Add((batch.Images.IndexSelect(0, keep).DetachFromScope(), batch.Masks.IndexSelect(0, keep).DetachFromScope()));
            }
        if (_validation.Count == 0) throw new InvalidDataException("the validation labels cut into no patch with an annotated pixel");
    }

    public Module Model => _net;

    public string SelectionMetric => _config.Selection == SegmentationSelection.Loss ? "neg_val_loss" : "val_mean_iou";

    public int ValidationPatches => _validation.Sum(v => (int)v.Images.Size(0));

    public StepOutput Step(PatchBatch batch)
    {
        var steps = _net.ForwardSteps(batch.Images);
        var masks = batch.Masks!;
        Tensor? loss = null;
        int from = _config.LossAtEveryStep ? 0 : steps.Count - 1;
        for (int t = from; t < steps.Count; t++)
        {
            var l = DenseLosses.CrossEntropy(steps[t], masks, Ignore, _weights);
            if (_config.DiceWeight > 0) l = l.Add(DenseLosses.SoftDice(steps[t], masks, Ignore), _config.DiceWeight);
            loss = loss is null ? l : loss.Add(l);
        }
        return new StepOutput(loss!.Div(steps.Count - from), (int)batch.Images.Size(0));
    }

    public IReadOnlyDictionary<string, double> Validate()
    {
        using var noGrad = Autograd.NoGrad();
        int classes = _net.Config.Classes;
        var confusion = new ConfusionMatrix(classes);
        double lossSum = 0;
        long pixels = 0;
        foreach (var (images, masks) in _validation)
        {
            using var scope = TorchRuntime.NewDisposeScope();
            var logits = _net.Forward(images);
            long n = masks.Ne(Ignore).Sum().Cast(DType.Int64).ToLongArray()[0];
            if (n == 0) continue;
            lossSum += F.CrossEntropy(logits, masks, ignoreIndex: Ignore).Item() * n;
            pixels += n;
            confusion.Add(logits.ArgMax(1).ToLongArray(), masks.ToLongArray(), Ignore);
        }
        var scores = Overlap.PerClass(confusion);
        var annotated = Enumerable.Range(0, classes).Where(c => confusion.TrueCount(c) > 0).ToList();
        double loss = pixels == 0 ? double.NaN : lossSum / pixels;
        var result = new Dictionary<string, double>
        {
            ["val_loss"] = loss,
            ["neg_val_loss"] = -loss,
            ["val_mean_iou"] = annotated.Count == 0 ? double.NaN : annotated.Average(c => scores.IoU[c]),
        };
        foreach (var c in annotated) result[string.Create(CultureInfo.InvariantCulture, $"val_iou_{c}")] = scores.IoU[c];
        return result;
    }

    public void Dispose()
    {
        _weights?.Dispose();
        foreach (var (images, masks) in _validation)
        {
            images.Dispose();
            masks.Dispose();
        }
    }
}
