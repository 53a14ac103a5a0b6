using InSitu.Classic;
using InSitu.Data;
using InSitu.Torch;

namespace InSitu.Workflows.Terms;

/// <summary>
/// The per-term classifiers of one task (a stage range) in primal form, ready for new images: features are
/// standardised with the training rows' mean and deviation and scaled by 1 / sqrt(D) (so a training vector has unit
/// squared norm on average, the scale the lambdas refer to), then each term's members vote
/// (<see cref="LogisticEnsemble.Scores(Tensor, int, int)"/>). Trained by <see cref="Train"/> from a feature file in
/// two passes over blocks of its columns, so vectors of any length (VGG16's 401,408) fit in memory: the first builds the
/// Gram matrix of the standardised training vectors, the second turns the fitted alphas into weights w = Z^T alpha and
/// scores the rows to apply it to.
/// </summary>
public sealed class TermClassifier : IDisposable
{
    private readonly Tensor _shift, _scale, _weight, _bias;

    /// <summary>Takes over the tensors given (they are disposed with the classifier).</summary>
    public TermClassifier(IReadOnlyList<string> terms, int members, Tensor shift, Tensor scale, Tensor weight, Tensor bias)
    {
        long d = shift.NumEl, models = (long)terms.Count * members;
        if (scale.NumEl != d || weight.Shape.Length != 2 || weight.Size(0) != d || weight.Size(1) != models || bias.NumEl != models)
            throw new InvalidDataException($"classifier tensors do not fit {terms.Count} terms x {members} members over {d} features");
        (Terms, Members) = (terms, members);
        (_shift, _scale, _weight, _bias) = (Own(shift, 1, d), Own(scale, 1, d), Own(weight, d, models), Own(bias, models));
    }

    /// <summary>A view of the given shape owned by no dispose scope; the handle given is released.</summary>
    private static Tensor Own(Tensor t, params long[] shape)
    {
        var view = t.Reshape(shape).DetachFromScope();
        t.Dispose();
        return view;
    }

    public IReadOnlyList<string> Terms { get; }
    public int Members { get; }
    public long Features => _shift.NumEl;

    /// <summary>Per row of an n x D feature matrix, one score per term (vote fraction, or probability for one member).</summary>
    public double[][] Scores(Tensor features)
    {
        if (features.Shape.Length != 2 || features.Size(1) != Features)
            throw new InvalidDataException($"the classifiers take {Features} features per image, got " +
                $"{Tensor.FormatShape(features.Shape)}: " +
                "the features were not made the way the model was trained");
        using var scope = TorchRuntime.NewDisposeScope();
        var logits = features.Cast(DType.Float32).Sub(_shift).Mul(_scale).MatMul(_weight).Add(_bias);
        return LogisticEnsemble.Scores(logits, Terms.Count, Members);
    }

    public void Save(string file) => AtomicFile.Write(file, tmp =>
        Serialization.Save([("shift", _shift), ("scale", _scale), ("weight", _weight), ("bias", _bias)], tmp));

    public static TermClassifier Load(string file, IReadOnlyList<string> terms, int members)
    {
        if (!File.Exists(file)) throw new FileNotFoundException($"classifier file '{file}' is missing", file);
        Dictionary<string, Tensor> state;
        try
        {
            state = Serialization.Load(file);
        }
        catch (TorchException e)
        {
            throw new InvalidDataException($"'{file}' is not a readable classifier file ({e.Message})", e);
        }
        foreach (var key in new[] { "shift", "scale", "weight", "bias" })
            if (!state.ContainsKey(key))
            {
                foreach (var t in state.Values) t.Dispose();
                throw new InvalidDataException($"'{file}' has no '{key}': it is not a terms classifier file");
            }
        try
        {
            return new TermClassifier(terms, members, state["shift"], state["scale"], state["weight"], state["bias"]);
        }
        catch (InvalidDataException e)
        {
            foreach (var t in state.Values) t.Dispose();
            throw new InvalidDataException($"'{file}': {e.Message}");
        }
    }

    public void Dispose()
    {
        _shift.Dispose();
        _scale.Dispose();
        _weight.Dispose();
        _bias.Dispose();
    }

    /// <summary>What training produced: the classifier, the scores of the rows it was applied to, and how lambda was chosen.</summary>
    public sealed record Fit(TermClassifier Classifier, double[][] Scores, IReadOnlyList<double> Lambdas,
        IReadOnlyList<IReadOnlyDictionary<double, double>> InnerAuc, long UsedFeatures);

    /// <param name="file">The feature vectors.</param>
    /// <param name="train">File rows of the training images.</param>
    /// <param name="apply">File rows to score with the trained classifiers (e.g. the test images).</param>
    /// <param name="labels">Per term, whether each training row carries it.</param>
    /// <param name="groups">Per training row, its group (gene) for inner validation.</param>
    public static Fit Train(FeatureFile file, IReadOnlyList<int> train, IReadOnlyList<int> apply, IReadOnlyList<string> terms,
        IReadOnlyList<bool[]> labels, IReadOnlyList<int> groups, LogisticEnsembleOptions options, int seed, long blockBytes)
    {
        int n = train.Count, d = file.Columns;
        int block = (int)Math.Clamp(blockBytes / (sizeof(float) * (long)Math.Max(1, n + apply.Count)), 1, d);
        using var scope = TorchRuntime.NewDisposeScope();
        using var noGrad = Autograd.NoGrad();
        var shift = Factory.Zeros(new long[] { d });
        var scale = Factory.Zeros(new long[] { d });
        var gram = Factory.Zeros(new long[] { n, n }, DType.Float64);
        for (int first = 0; first < d; first += block)
        {
            using var step = TorchRuntime.NewDisposeScope();
            int count = Math.Min(block, d - first);
            var x = file.ReadBlock(train, first, count);
            var mean = x.Mean(0);
            var std = x.Std([0], unbiased: false);
            // constant features (dead units, empty pyramid cells) carry nothing and are left out
            var inverse = Tensor.Where(std.Gt(mean.Abs().ClampMin(1).Mul(1e-6)), std.Reciprocal(), Factory.ZerosLike(std));
            shift.Narrow(0, first, count).Copy_(mean);
            scale.Narrow(0, first, count).Copy_(inverse);
            var z = x.Sub(mean).Mul(inverse).Cast(DType.Float64);
            gram.Add_(z.MatMul(z.T()));
        }
        long used = scale.Gt(0).Sum().ToLongArray()[0];
        if (used == 0) throw new InvalidDataException($"every feature in '{file.Path}' is constant over the training images");
        gram.Div_(used);
        scale.Mul_(1 / Math.Sqrt(used));
        using var ensemble = LogisticEnsemble.Train(gram, labels, groups, options, seed);

        long models = ensemble.Alpha.Size(1);
        var weight = Factory.Zeros(new[] { (long)d, models });
        var alpha = ensemble.Alpha.Cast(DType.Float32);
        var logits = Factory.Zeros(new[] { (long)apply.Count, models });
        for (int first = 0; first < d; first += block)
        {
            using var step = TorchRuntime.NewDisposeScope();
            int count = Math.Min(block, d - first);
            var m = shift.Narrow(0, first, count);
            var s = scale.Narrow(0, first, count);
            var w = file.ReadBlock(train, first, count).Sub(m).Mul(s).T().MatMul(alpha);
            weight.Narrow(0, first, count).Copy_(w);
            if (apply.Count > 0) logits.Add_(file.ReadBlock(apply, first, count).Sub(m).Mul(s).MatMul(w));
        }
        var bias = ensemble.Bias.Cast(DType.Float32);
        var scores = apply.Count == 0 ? [] : LogisticEnsemble.Scores(logits.Add(bias), terms.Count, ensemble.Members);
        var classifier = new TermClassifier(terms, ensemble.Members, shift, scale, weight, bias);
        return new Fit(classifier, scores, ensemble.Lambdas, ensemble.InnerAuc, used);
    }
}
