using InSitu.Evaluation;
using InSitu.Torch;

namespace InSitu.Classic;

/// <summary>How <see cref="LogisticEnsemble"/> trains each label's classifier.</summary>
public sealed record LogisticEnsembleOptions
{
    /// <summary>Members per label; an odd number avoids tied votes. With <see cref="Undersample"/> off, use 1.</summary>
    public int Members { get; init; } = 21;

    /// <summary>Each member sees the minority class and as many majority rows (seed 001); off: one plain model on all rows.</summary>
    public bool Undersample { get; init; } = true;

    /// <summary>L2 strengths tried, on features scaled so that a training vector has unit squared norm on average.</summary>
    public double[] Lambdas { get; init; } = [1e-3, 1e-2, 1e-1, 1];

    /// <summary>Share of the training rows (whole groups) held out to choose each label's lambda.</summary>
    public double InnerValidationShare { get; init; } = 0.25;

    public int MaxIterations { get; init; } = 400;
    public double Tolerance { get; init; } = 1e-5;

    public void Validate()
    {
        if (Members < 1) throw new ArgumentException($"members must be at least 1 (got {Members})");
        if (Lambdas.Length == 0 || Lambdas.Any(l => !(l > 0) || !double.IsFinite(l)))
            throw new ArgumentException("lambdas needs at least one value, all positive");
        if (InnerValidationShare is <= 0 or >= 1)
            throw new ArgumentException($"inner_validation_share must be in (0, 1) (got {InnerValidationShare})");
        if (MaxIterations < 1 || !(Tolerance > 0)) throw new ArgumentException("max_iterations and tolerance must be positive");
    }
}

/// <summary>
/// One classifier per label (e.g. per CV term) over shared training vectors, all fitted at once on their Gram matrix
/// (<see cref="GramLogisticRegression"/>): an undersampled ensemble of L2 logistic regressions voting by majority
/// (<see cref="UndersampledEnsemble"/>), or one plain L2 logistic regression. Each label's lambda is chosen by inner
/// validation: whole groups (genes) of the training rows are held out, every lambda of the grid is fitted on the
/// rest, and the one with the best AUC on the held-out rows is kept (the strongest regularisation among ties; the
/// middle of the grid for a label whose held-out rows lack a class); then the label is fitted again on all rows.
/// </summary>
public sealed class LogisticEnsemble : IDisposable
{
    private readonly GramLogisticRegression _fit;

    private LogisticEnsemble(GramLogisticRegression fit, int labels, int members, double[] lambdas,
        IReadOnlyList<IReadOnlyDictionary<double, double>> innerAuc)
    {
        (_fit, Labels, Members, Lambdas, InnerAuc) = (fit, labels, members, lambdas, innerAuc);
    }

    public int Labels { get; }
    public int Members { get; }

    /// <summary>The lambda chosen for each label.</summary>
    public IReadOnlyList<double> Lambdas { get; }

    /// <summary>Per label: the inner-validation AUC of each lambda tried (empty where it could not be measured).</summary>
    public IReadOnlyList<IReadOnlyDictionary<double, double>> InnerAuc { get; }

    /// <summary>N x (labels x members), label-major: w = X^T alpha for each member.</summary>
    public Tensor Alpha => _fit.Alpha;

    /// <summary>labels x members intercepts, label-major.</summary>
    public Tensor Bias => _fit.Bias;

    /// <param name="gram">N x N Gram matrix of the training vectors.</param>
    /// <param name="labels">Per label, whether each of the N training rows has it; each label needs both classes.</param>
    /// <param name="groups">A group id per row (e.g. the gene): inner validation holds out whole groups.</param>
    public static LogisticEnsemble Train(Tensor gram, IReadOnlyList<bool[]> labels, IReadOnlyList<int> groups,
        LogisticEnsembleOptions options, int seed)
    {
        options.Validate();
        int n = (int)gram.Size(0);
        if (labels.Count == 0) throw new ArgumentException("no labels to train");
        if (groups.Count != n || labels.Any(l => l.Length != n))
            throw new ArgumentException($"labels and groups must cover the {n} rows of the Gram matrix");
        var rng = new Random(seed);
        var (inner, held) = InnerSplit(groups, options.InnerValidationShare, rng);
        var lambdas = new double[labels.Count];
        var aucs = new List<IReadOnlyDictionary<double, double>>();
        var fallback = options.Lambdas[options.Lambdas.Length / 2];
        var tunable = new List<int>();
        for (int l = 0; l < labels.Count; l++)
        {
            bool Both(IEnumerable<int> rows) => rows.Any(i => labels[l][i]) && rows.Any(i => !labels[l][i]);
            if (options.Lambdas.Length > 1 && Both(inner) && Both(held)) tunable.Add(l);
            lambdas[l] = fallback;
            aucs.Add(new Dictionary<double, double>());
        }
        if (tunable.Count > 0)
        {
            using var scope = TorchRuntime.NewDisposeScope();
            var innerIndex = Tensor.FromArray(inner.Select(i => (long)i).ToArray(), inner.Length);
            var heldIndex = Tensor.FromArray(held.Select(i => (long)i).ToArray(), held.Length);
            var innerGram = gram.IndexSelect(0, innerIndex).IndexSelect(1, innerIndex);
            var heldKernel = gram.IndexSelect(0, heldIndex).IndexSelect(1, innerIndex);
            var tasks = tunable.SelectMany(l => options.Lambdas.Select(lambda => (label: l, lambda))).ToList();
            using var tuning = FitTasks(innerGram, tasks.Select(t => (inner.Select(i => labels[t.label][i]).ToArray(), t.lambda)).ToList(),
                options, rng);
            var scores = Scores(tuning.DecisionFunction(heldKernel), tasks.Count, options.Members);
            for (int k = 0; k < tasks.Count; k++)
            {
                var (label, lambda) = tasks[k];
                var auc = RocAuc.Binary(scores.Select(s => s[k]).ToArray(), held.Select(i => labels[label][i] ? 1L : 0L).ToArray());
                ((Dictionary<double, double>)aucs[label])[lambda] = auc;
            }
            foreach (var l in tunable)
            {
                // strongest regularisation among the best: the grid is searched from the largest lambda down
                var measured = options.Lambdas.OrderByDescending(x => x).Where(x => !double.IsNaN(aucs[l][x])).ToList();
                if (measured.Count > 0) lambdas[l] = measured.OrderByDescending(x => aucs[l][x]).First();
            }
        }
        var fit = FitTasks(gram, labels.Select((y, l) => (y, lambdas[l])).ToList(), options, rng);
        return new LogisticEnsemble(fit, labels.Count, options.Members, lambdas, aucs);
    }

    /// <summary>Fits one ensemble per (labels, lambda) task on the rows of <paramref name="gram"/>, models task-major.</summary>
    private static GramLogisticRegression FitTasks(Tensor gram, IReadOnlyList<(bool[] labels, double lambda)> tasks,
        LogisticEnsembleOptions options, Random rng)
    {
        int n = (int)gram.Size(0), members = options.Members, models = tasks.Count * members;
        var targets = new double[n * models];
        var masks = new double[n * models];
        var lambdas = new double[models];
        for (int t = 0; t < tasks.Count; t++)
        {
            var (y, lambda) = tasks[t];
            var mask = UndersampledEnsemble.Masks(y, members, options.Undersample, rng);
            for (int m = 0; m < members; m++)
            {
                int column = t * members + m;
                lambdas[column] = lambda;
                for (int i = 0; i < n; i++)
                {
                    targets[i * models + column] = y[i] ? 1 : 0;
                    masks[i * models + column] = mask[i * members + m];
                }
            }
        }
        using var targetTensor = Tensor.FromArray(targets, n, models);
        using var maskTensor = Tensor.FromArray(masks, n, models);
        return GramLogisticRegression.Fit(gram, targetTensor, maskTensor, lambdas, options.MaxIterations, options.Tolerance);
    }

    /// <summary>Holds out whole groups, drawn at random, until their rows reach <paramref name="share"/> of all rows.</summary>
    private static (int[] inner, int[] held) InnerSplit(IReadOnlyList<int> groups, double share, Random rng)
    {
        var distinct = groups.Distinct().OrderBy(g => g).ToArray();
        rng.Shuffle(distinct);
        var heldGroups = new HashSet<int>();
        int heldRows = 0, target = (int)Math.Ceiling(share * groups.Count);
        var size = groups.GroupBy(g => g).ToDictionary(g => g.Key, g => g.Count());
        foreach (var g in distinct)
        {
            if (heldRows >= target || heldGroups.Count == distinct.Length - 1) break;
            heldGroups.Add(g);
            heldRows += size[g];
        }
        var rows = Enumerable.Range(0, groups.Count).ToArray();
        return (rows.Where(i => !heldGroups.Contains(groups[i])).ToArray(), rows.Where(i => heldGroups.Contains(groups[i])).ToArray());
    }

    /// <summary>Scores of every label for rows given by their kernel against the training rows (n x N): see <see cref="Scores(Tensor, int,
    /// int)"/>.</summary>
    public double[][] Scores(Tensor kernel)
    {
        using var logits = _fit.DecisionFunction(kernel);
        return Scores(logits, Labels, Members);
    }

    /// <summary>
    /// Per row, one score per label from the n x (labels x members) logits: the fraction of members voting positive,
    /// or the probability when a label has one member. A label is predicted when the score exceeds 1/2.
    /// </summary>
    public static double[][] Scores(Tensor logits, int labels, int members)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        long n = logits.Size(0);
        if (logits.Size(1) != (long)labels * members)
            throw new ArgumentException($"{logits.Size(1)} logits per row for {labels} labels of {members} members");
        var grouped = logits.Cast(DType.Float64).Reshape(n, labels, members);
        var score = members == 1 ? grouped.Squeeze(2).Sigmoid() : grouped.Gt(0).Cast(DType.Float64).Mean(2);
        var flat = score.Contiguous().ToDoubleArray();
        return Enumerable.Range(0, (int)n).Select(i => flat.AsSpan(i * labels, labels).ToArray()).ToArray();
    }

    public void Dispose() => _fit.Dispose();
}
