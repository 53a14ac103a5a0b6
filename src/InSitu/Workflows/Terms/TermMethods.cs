using InSitu.Common;

namespace InSitu.Workflows.Terms;

/// <summary>Where a method's image vectors come from.</summary>
public enum TermFeatureKind
{
    /// <summary>Tap points of the pretrained network, as it is (transfer learning).</summary>
    Pretrained,
    /// <summary>The same architecture with random weights: the control that shows what pretraining brings.</summary>
    Random,
    /// <summary>The pretrained network after multi-task fine-tuning on the training images' terms.</summary>
    Finetuned,
    /// <summary>Dense SIFT-like descriptors, sparse codes over a learned dictionary, max-pooled over a spatial pyramid.</summary>
    SparseCoding,
    /// <summary>Dense SIFT-like descriptors, nearest k-means word, histograms over a spatial pyramid.</summary>
    BagOfWords,
}

/// <summary>A CV-term method: how images become vectors; every method then trains the same per-term classifiers.</summary>
public sealed record TermMethod(string Name, string Description, TermFeatureKind Kind)
{
    /// <summary>The name as a file name ('+' is awkward in paths and URLs).</summary>
    public string Slug => Name.Replace('+', '_');

    public bool UsesNetwork => Kind is TermFeatureKind.Pretrained or TermFeatureKind.Random or TermFeatureKind.Finetuned;

    public override string ToString() => Name;
}

/// <summary>The registry of CV-term methods (METHODS.md section 4), by name.</summary>
public static class TermMethods
{
    public static readonly TermMethod Sc = new("sc", "sparse codes of dense SIFT-like descriptors, max-pooled over a spatial pyramid",
        TermFeatureKind.SparseCoding);
    public static readonly TermMethod Bovw = new("bovw", "bag of visual words of dense SIFT-like descriptors over a spatial pyramid",
        TermFeatureKind.BagOfWords);
    public static readonly TermMethod Tl = new("tl", "tap-point features of the pretrained network (transfer learning)",
        TermFeatureKind.Pretrained);
    public static readonly TermMethod TlMtl = new("tl+mtl", "tap-point features after multi-task fine-tuning on all terms",
        TermFeatureKind.Finetuned);
    public static readonly TermMethod TlRandom = new("tl-random", "tap-point features of the same network with random weights",
        TermFeatureKind.Random);

    public static IReadOnlyList<TermMethod> All { get; } = [Sc, Bovw, Tl, TlMtl, TlRandom];

    /// <summary>What `terms compare` runs unless told otherwise: the paper's three and the random-weights control.</summary>
    public static IReadOnlyList<TermMethod> Compared { get; } = [Sc, Tl, TlMtl, TlRandom];

    public static IEnumerable<string> Names => All.Select(m => m.Name);

    public static TermMethod Find(string name) => MethodList.Find(All, name, m => m.Name, m => m.Slug);

    /// <summary>A comma-separated list of methods, each known and none twice.</summary>
    public static IReadOnlyList<TermMethod> Parse(string list) => MethodList.Parse(list, All, Find, m => m.Name);
}
