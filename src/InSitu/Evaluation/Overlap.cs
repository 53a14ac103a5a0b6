namespace InSitu.Evaluation;

/// <summary>
/// Dice and IoU (Jaccard) of each class of a segmentation, over all counted pixels together, and their plain means
/// over all classes. <see cref="Present"/> marks the classes that occur in the truth or the prediction, for a caller
/// that wants a mean over those only.
/// </summary>
public sealed record OverlapScores(double[] Dice, double[] IoU, bool[] Present, long Pixels)
{
    /// <summary>Mean Dice over all classes, scikit-learn's f1_score(average="macro", labels=0..K-1).</summary>
    public double MacroDice => Dice.Average();

    /// <summary>Mean IoU over all classes, scikit-learn's jaccard_score(average="macro", labels=0..K-1).</summary>
    public double MacroIoU => IoU.Average();
}

/// <summary>
/// Dice (= F1) and IoU (= Jaccard) for segmentation masks, on the flattened pixels whose truth is not the ignore
/// value, matching scikit-learn's f1_score and jaccard_score on those pixels (per class: average=None with
/// labels=0..K-1; binary masks: average="binary", foreground 1).
/// </summary>
/// <remarks>
/// Per class c: Dice = 2TP / (2TP + FP + FN), IoU = TP / (TP + FP + FN), counting pixels of class c against all others.
/// A class absent from both truth and prediction (also every class when all pixels are ignored) is 0/0 and gets
/// <c>zeroDivision</c>, scikit-learn's zero_division: 0 (its default) or 1. The macro means include such classes with
/// that value, as scikit-learn does with explicit labels. Pixels are pooled before dividing, so computing over a
/// whole dataset (one <see cref="ConfusionMatrix"/> fed mask by mask) is not the mean of per-image scores.
/// </remarks>
public static class Overlap
{
    /// <summary>
    /// Per-class scores of label masks (class indices 0..classes-1); pixels whose truth equals <paramref name="ignore"/>
    /// (e.g. 255 or -1) are left out. A prediction outside 0..classes-1 on a counted pixel is an error.
    /// </summary>
    public static OverlapScores PerClass(ReadOnlySpan<long> predicted, ReadOnlySpan<long> truth, int classes, long? ignore = null,
        double zeroDivision = 0) =>
        PerClass(ConfusionMatrix.Of(predicted, truth, classes, ignore), zeroDivision);

    /// <summary>Per-class scores from accumulated counts.</summary>
    public static OverlapScores PerClass(ConfusionMatrix confusion, double zeroDivision = 0)
    {
        MetricChecks.ZeroDivision(zeroDivision);
        int k = confusion.Classes;
        var dice = new double[k];
        var iou = new double[k];
        var present = new bool[k];
        for (int c = 0; c < k; c++)
        {
            long tp = confusion[c, c], fp = confusion.PredictedCount(c) - tp, fn = confusion.TrueCount(c) - tp;
            dice[c] = F1.FromCounts(tp, fp, fn, zeroDivision);
            iou[c] = tp + fp + fn == 0 ? zeroDivision : (double)tp / (tp + fp + fn);
            present[c] = tp + fp + fn > 0;
        }
        return new OverlapScores(dice, iou, present, confusion.Total);
    }

    /// <summary>Dice and IoU of the foreground (1) of binary 0/1 masks, pixels whose truth is <paramref name="ignore"/> left out.</summary>
    public static (double Dice, double IoU) Binary(ReadOnlySpan<long> predicted, ReadOnlySpan<long> truth, long? ignore = null,
        double zeroDivision = 0)
    {
        var s = PerClass(predicted, truth, 2, ignore, zeroDivision);
        return (s.Dice[1], s.IoU[1]);
    }
}
