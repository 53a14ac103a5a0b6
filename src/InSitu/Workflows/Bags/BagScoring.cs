using InSitu.Evaluation;

namespace InSitu.Workflows.Bags;

/// <summary>One source bag's predicted attribute probabilities.</summary>
public sealed record BagPrediction(string Source, double[] Probabilities);

/// <summary>
/// From per-part probabilities to scored bags: impossible attributes of a bag's range get probability 0 (the stage mask's
/// "prediction 0"), the parts of a split bag are averaged into one prediction for their source bag, and predictions are
/// scored against the bags' attributes with <see cref="MultiLabelScores"/>.
/// </summary>
public static class BagScoring
{
    public static List<BagPrediction> BySource(IEnumerable<(BagRecord Bag, double[] Probabilities)> parts, AttributeSet attributes,
        bool masks)
    {
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentNullException.ThrowIfNull(attributes);
        var sums = new Dictionary<string, (double[] sum, int n)>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var (bag, p) in parts)
        {
            var mask = attributes.Mask(bag.Range, masks);
            if (!sums.TryGetValue(bag.Source, out var acc))
            {
                acc = (new double[p.Length], 0);
                order.Add(bag.Source);
            }
            for (int m = 0; m < p.Length; m++) acc.sum[m] += p[m] * mask[m];
            sums[bag.Source] = (acc.sum, acc.n + 1);
        }
        return order.Select(s => new BagPrediction(s, sums[s].sum.Select(v => v / sums[s].n).ToArray())).ToList();
    }

    /// <summary>Probabilities and 0/1 truth as [bag][attribute] matrices, in the predictions' order.</summary>
    public static (double[][] Probabilities, long[][] Truth) Matrices(IReadOnlyList<BagPrediction> predictions,
        Func<string, float[]> truthOfSource)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(truthOfSource);
        return (predictions.Select(p => p.Probabilities).ToArray(),
            predictions.Select(p => truthOfSource(p.Source).Select(v => v > 0.5f ? 1L : 0L).ToArray()).ToArray());
    }
}

/// <summary>
/// How a training phase rates itself on the validation bags: thresholds chosen on them, then the published code's
/// selection score 0.2 AUC (sample-averaged) + 0.4 macro F1 + 0.4 sample F1 (higher is better).
/// </summary>
public static class BagValidation
{
    public const string Selection = "selection";

    public static IReadOnlyDictionary<string, double> Rate(IReadOnlyList<BagPrediction> predictions, Func<string, float[]> truthOfSource)
    {
        var (p, y) = BagScoring.Matrices(predictions, truthOfSource);
        var scores = MultiLabelScores.Of(p, y, ThresholdSearch.MaximiseF1(p, y));
        double auc = double.IsNaN(scores.AucSamples) ? 0.5 : scores.AucSamples;
        return new Dictionary<string, double>
        {
            ["auc_samples"] = scores.AucSamples,
            ["auc_macro"] = scores.AucMacro,
            ["f1_macro"] = scores.F1Macro,
            ["f1_samples"] = scores.F1Samples,
            [Selection] = 0.2 * auc + 0.4 * scores.F1Macro + 0.4 * scores.F1Samples,
        };
    }
}

/// <summary>
/// A bag model's test figures: per-attribute thresholds chosen on the validation bags (maximum F1), then ROC AUC and F1 on
/// the test bags.
/// </summary>
public sealed record BagEvaluation(string Model, int ValidationBags, int TestBags, double[] Thresholds, MultiLabelScores Scores)
{
    public static BagEvaluation Of(string model, IReadOnlyList<BagPrediction> validation, IReadOnlyList<BagPrediction> test,
        Func<string, float[]> truthOfSource)
    {
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(test);
        var (pv, yv) = BagScoring.Matrices(validation, truthOfSource);
        var thresholds = ThresholdSearch.MaximiseF1(pv, yv);
        return Scored(model, validation.Count, test, truthOfSource, thresholds);
    }

    /// <summary>Test figures at given thresholds (a saved model's).</summary>
    public static BagEvaluation Scored(string model, int validationBags, IReadOnlyList<BagPrediction> test,
        Func<string, float[]> truthOfSource, double[] thresholds)
    {
        var (pt, yt) = BagScoring.Matrices(test, truthOfSource);
        return new BagEvaluation(model, validationBags, test.Count, thresholds, MultiLabelScores.Of(pt, yt, thresholds));
    }
}
