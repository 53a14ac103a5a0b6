using InSitu.Classic;
using InSitu.Data;
using InSitu.Models;
using InSitu.Torch;

namespace InSitu.Workflows.Terms;

/// <summary>
/// Turns batches of images into image vectors: one or several named feature sets from one pass (e.g. the chosen taps
/// and, for the layer comparison, each layer alone).
/// </summary>
public interface ITermFeaturizer : IDisposable
{
    /// <summary>How the images are read for it (size, colour, normalisation).</summary>
    LoaderOptions Loader { get; }

    /// <summary>The names of the feature sets it produces.</summary>
    IReadOnlyList<string> Sets { get; }

    /// <summary>N x D vectors of every set for a batch of images.</summary>
    IReadOnlyDictionary<string, Tensor> Features(Tensor images);
}

/// <summary>Feature sets from tap points of a network (<see cref="TapFeatures"/>): each set's taps flattened and concatenated.</summary>
public sealed class NetworkFeaturizer : ITermFeaturizer
{
    private readonly IHasTapPoints _network;
    private readonly IDisposable? _owned;
    private readonly IReadOnlyDictionary<string, string[]> _sets;
    private readonly int[]? _pool;

    /// <param name="owned">Disposed with the featurizer (the network, or the fine-tuned model holding it).</param>
    public NetworkFeaturizer(TappedNetwork network, IDisposable? owned, LoaderOptions loader, IReadOnlyDictionary<string, string[]> sets,
        int[]? poolGrid)
    {
        (_network, _owned, Loader, _sets, _pool) = (network, owned, loader, sets, poolGrid);
        network.Eval();
        Sets = sets.Keys.ToList();
    }

    public LoaderOptions Loader { get; }
    public IReadOnlyList<string> Sets { get; }

    public IReadOnlyDictionary<string, Tensor> Features(Tensor images)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        using var noGrad = Autograd.NoGrad();
        var outputs = _network.Taps(images, _sets.Values.SelectMany(t => t).Distinct().ToList());
        return _sets.ToDictionary(s => s.Key, s => scope.MoveToOuter(TapFeatures.Concatenate(outputs, s.Value, _pool)));
    }

    public void Dispose() => _owned?.Dispose();
}

/// <summary>
/// The local-feature baselines: dense SIFT-like descriptors of grey images coded over a vocabulary learned from the
/// training images, pooled over a spatial pyramid: sparse codes with max pooling ("sc"), or visual words with
/// histograms ("bovw"). One set, named after the method.
/// </summary>
public sealed class CodingFeaturizer : ITermFeaturizer
{
    private readonly LocalCodingConfig _config;
    private readonly DenseSift _sift;
    private readonly bool _sparse;

    public CodingFeaturizer(LocalCodingConfig config, LoaderOptions loader, Tensor vocabulary, bool sparse, string set)
    {
        (_config, Loader, Vocabulary, _sparse) = (config, loader, vocabulary, sparse);
        _sift = new DenseSift(config.CellSize, config.Step, config.ContrastThreshold);
        Sets = [set];
    }

    public LoaderOptions Loader { get; }
    public IReadOnlyList<string> Sets { get; }

    /// <summary>Dictionary atoms or visual words, words x 128.</summary>
    public Tensor Vocabulary { get; }

    public IReadOnlyDictionary<string, Tensor> Features(Tensor images)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var descriptors = _sift.Compute(images);
        var v = _sparse
            ? LocalFeatureCoding.SparseCodes(descriptors, Vocabulary, _config.SparsityAlpha, _config.PyramidLevels,
                _config.CodingIterations)
            : LocalFeatureCoding.BagOfWords(descriptors, Vocabulary, _config.PyramidLevels);
        return new Dictionary<string, Tensor> { [Sets[0]] = scope.MoveToOuter(v) };
    }

    /// <summary>
    /// Learns the vocabulary from the training images: a random sample of their non-zero descriptors (about
    /// <see cref="LocalCodingConfig.DictionarySample"/>), then dictionary learning (sparse) or k-means (words).
    /// </summary>
    public static Tensor LearnVocabulary(LocalCodingConfig config, IBatchSource<ImageBatch> images, int imageCount, bool sparse, int seed)
    {
        var sift = new DenseSift(config.CellSize, config.Step, config.ContrastThreshold);
        var (rows, columns) = sift.Grid(config.Height, config.Width);
        double keep = Math.Min(1.0, 1.5 * config.DictionarySample / ((double)imageCount * rows * columns));
        var rng = new Random(seed);
        var parts = new List<Tensor>();
        try
        {
            using (Autograd.NoGrad())
                foreach (var batch in images.Epoch(0))
                    using (batch)
                    using (TorchRuntime.NewDisposeScope())
                    {
                        var all = LocalFeatureCoding.Flatten(sift.Compute(batch.Images));
                        var nonzero = all.Norm([1]).Gt(0).Nonzero().Flatten().ToLongArray();
                        var picked = nonzero.Where(_ => rng.NextDouble() < keep).ToArray();
                        if (picked.Length > 0) parts.Add(all.IndexSelect(0, Tensor.FromArray(picked, picked.Length)).DetachFromScope());
                    }
            using var scope = TorchRuntime.NewDisposeScope();
            if (parts.Count == 0)
                throw new InvalidDataException("the training images have no textured regions to learn a vocabulary from " +
                    "(every descriptor is below coding.contrast_threshold)");
            var sample = Tensor.Cat(parts);
            if (sample.Size(0) > config.DictionarySample)
            {
                var order = Enumerable.Range(0, (int)sample.Size(0)).Select(i => (long)i).ToArray();
                rng.Shuffle(order);
                sample = sample.IndexSelect(0, Tensor.FromArray(order[..config.DictionarySample], config.DictionarySample));
            }
            if (sample.Size(0) < config.Words)
                throw new InvalidDataException($"only {sample.Size(0)} descriptors to learn {config.Words} words from: " +
                    "use fewer coding.words or more images");
            var vocabulary = sparse
                ? DictionaryLearning.Learn(sample, config.Words, config.SparsityAlpha, config.DictionaryRounds, seed,
                    config.CodingIterations)
                : KMeans.Fit(sample, config.Words, 20, seed);
            return scope.MoveToOuter(vocabulary);
        }
        finally
        {
            foreach (var p in parts) p.Dispose();
        }
    }

    public void Dispose() => Vocabulary.Dispose();
}
