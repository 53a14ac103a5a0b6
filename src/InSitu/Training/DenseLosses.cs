using InSitu.Torch;

namespace InSitu.Training;

/// <summary>
/// Per-pixel losses for partially labelled segmentation: pixels whose label is the ignore value take no part, and a
/// batch with no labelled pixel gives a zero loss (with gradient zero) rather than 0/0.
/// </summary>
public static class DenseLosses
{
    /// <summary>Mean cross-entropy of N x K x H x W logits over the labelled pixels of N x H x W int64 labels.</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor labels, int ignore, Tensor? classWeights = null)
    {
        if (labels.Ne(ignore).Any().Item() == 0) return logits.Sum().Mul(0.0);
        return F.CrossEntropy(logits, labels, classWeights, ignoreIndex: ignore);
    }

    /// <summary>
    /// Soft Dice loss 1 - mean over classes of (2 sum p y + 1) / (sum p + sum y + 1), the sums over labelled pixels only
    /// (p: softmax probabilities, y: one-hot labels); the +1 keeps a class absent from both at Dice 1.
    /// </summary>
    public static Tensor SoftDice(Tensor logits, Tensor labels, int ignore)
    {
        long classes = logits.Shape[1];
        var valid = labels.Ne(ignore);
        var safe = labels.MaskedFill(valid.LogicalNot(), 0);
        var oneHot = F.OneHot(safe, classes).Permute(0, 3, 1, 2).Cast(logits.DType);
        var weight = valid.Unsqueeze(1).Cast(logits.DType);
        var p = logits.Softmax(1).Mul(weight);
        var y = oneHot.Mul(weight);
        var dims = new long[] { 0, 2, 3 };
        var intersection = p.Mul(y).Sum(dims);
        var dice = intersection.Mul(2).Add(1).Div(p.Sum(dims).Add(y.Sum(dims)).Add(1));
        return dice.Mean().RSub(1);
    }
}
