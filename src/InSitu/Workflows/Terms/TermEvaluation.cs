using InSitu.Evaluation;

namespace InSitu.Workflows.Terms;

/// <summary>
/// The paper's measures for one term of one task on the test images: accuracy, sensitivity and specificity of the
/// majority vote (score > 1/2), and the ROC AUC of the scores. A measure whose class is absent from the test images is
/// NaN and left out of every mean.
/// </summary>
public sealed record TermMetrics(string Task, string Term, double Accuracy, double Sensitivity, double Specificity, double Auc,
    int Positives, int Negatives)
{
    public static TermMetrics Of(string task, string term, IReadOnlyList<double> scores, IReadOnlyList<bool> truth)
    {
        var labels = truth.Select(t => t ? 1L : 0L).ToArray();
        var predicted = scores.Select(s => s > 0.5 ? 1L : 0L).ToArray();
        var rates = BinaryRates.Of(predicted, labels);
        return new TermMetrics(task, term, rates.Accuracy, rates.Sensitivity, rates.Specificity,
            RocAuc.Binary(scores.ToArray(), labels), (int)rates.Positives, (int)rates.Negatives);
    }

    /// <summary>Each measure of the paper's Table 2, by name, for tables and JSON.</summary>
    public static readonly (string name, Func<TermMetrics, double> value)[] Measures =
    [
        ("accuracy", m => m.Accuracy), ("sensitivity", m => m.Sensitivity), ("specificity", m => m.Specificity), ("auc", m => m.Auc),
    ];
}

/// <summary>Test scores and truth of one task, kept for ROC curves.</summary>
public sealed record TaskScores(string Task, IReadOnlyList<string> Terms, double[][] Scores, bool[][] Truth);

/// <summary>What one method measured for one seed: every term of every task, and the test scores behind it.</summary>
public sealed record TermOutcome(string Method, int Seed, string FeatureSet, List<TermMetrics> Metrics, List<TaskScores> Scores,
    Dictionary<string, object> Notes, double Seconds)
{
    /// <summary>The mean AUC over all terms and tasks (terms without test positives left out).</summary>
    public double MeanAuc => MeanStd.Of(Metrics.Select(m => m.Auc)).Mean;
}
