using InSitu.Common;
using InSitu.Data;
using InSitu.Models;
using InSitu.Training;

namespace InSitu.Workflows.Stages;

/// <summary>
/// Step 2's reference sets (METHODS.md section 1, step 2.1): with the step-1 model, the training images classified
/// correctly and confidently are the candidates of their class; a reference set holds one random candidate per
/// class, and k sets are drawn. Confidence is the published code's rule (top-1 minus top-2 logit above a margin) or
/// the paper's (class probability above tau). A class with no confident candidate falls back to its correctly
/// classified images, then to all of its images, most probable first; how often that happened is reported.
/// </summary>
public sealed class ReferenceSetBuilder
{
    public sealed record Result(int[][] Sets, int[] CandidatesPerClass, int[] FallbackClasses);

    /// <param name="images">The training images in order, unaugmented; <paramref name="y"/> their classes.</param>
    public static Result Build(ResNet model, IBatchSource<ImageBatch> images, long[] y, int classes, StageConfig config, int seed)
    {
        float[] logits;
        model.Eval();
        using (var output = Inference.Map(images, model.Forward))
            logits = output.ToFloatArray();
        var (rule, margin, tau, sets) = (config.ReferenceRule, config.Margin, config.Tau, config.ReferenceSets);
        int n = y.Length;
        var candidates = Enumerable.Range(0, classes).Select(_ => new List<int>()).ToArray();
        var correct = Enumerable.Range(0, classes).Select(_ => new List<(int i, double p)>()).ToArray();
        var all = Enumerable.Range(0, classes).Select(_ => new List<(int i, double p)>()).ToArray();
        for (int i = 0; i < n; i++)
        {
            var row = logits.AsSpan(i * classes, classes);
            int top = 0;
            for (int c = 1; c < classes; c++) if (row[c] > row[top]) top = c;
            float second = float.NegativeInfinity;
            for (int c = 0; c < classes; c++) if (c != top && row[c] > second) second = row[c];
            double max = row[top], sum = 0;
            foreach (var v in row) sum += Math.Exp(v - max);
            double pTrue = Math.Exp(row[(int)y[i]] - max) / sum;
            all[y[i]].Add((i, pTrue));
            if (top != y[i]) continue;
            correct[top].Add((i, pTrue));
            bool confident = rule == ReferenceRule.Margin ? row[top] - second > margin : pTrue > tau;
            if (confident) candidates[top].Add(i);
        }
        var fallback = new List<int>();
        for (int c = 0; c < classes; c++)
        {
            if (candidates[c].Count > 0) continue;
            fallback.Add(c);
            var pool = correct[c].Count > 0 ? correct[c] : all[c];
            if (pool.Count == 0) throw new InvalidDataException($"class {c} has no training images to build reference sets from");
            candidates[c].AddRange(pool.OrderByDescending(t => t.p).Take(Math.Max(1, pool.Count / 4)).Select(t => t.i));
        }
        var random = new SeededRandom((ulong)seed * 31 + 3);
        var result = new int[sets][];
        for (int k = 0; k < sets; k++)
            result[k] = Enumerable.Range(0, classes).Select(c => candidates[c][random.Int(candidates[c].Count)]).ToArray();
        return new Result(result, candidates.Select(c => c.Count).ToArray(), fallback.ToArray());
    }
}
