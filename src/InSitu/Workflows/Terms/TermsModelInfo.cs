using InSitu.Common;
using InSitu.Models.Pretrained;
using InSitu.Reports;
using InSitu.Torch;

namespace InSitu.Workflows.Terms;

/// <summary>One task of a trained terms model: its range (null: all images), terms, and classifier file.</summary>
public sealed record TermsModelTask(string Name, int? Range, string[] Terms, int Members, double[] Lambdas, string Classifier);

/// <summary>
/// A trained terms model (model.json in its folder): the method, the config, how images become vectors (the
/// pretrained weights file, a saved network, or a vocabulary) and a classifier file per task. `terms evaluate` and
/// `terms predict` read it; paths of saved parts are relative to the folder.
/// </summary>
public sealed record TermsModelInfo(string Method, TermsConfig Config, int Seed, string[] Taps, string? Weights, string? Network,
    string? Vocabulary, List<TermsModelTask> Tasks)
{
    public const string File = "model.json";
    public const string VocabularyFile = "vocabulary.pt";

    public void Save(string folder) => new RunDirectory(folder).WriteJson(File, this);

    /// <summary>The model of a folder (or its model.json); an error says what is missing and how to make one.</summary>
    public static (TermsModelInfo info, string folder) Load(string path)
    {
        var file = System.IO.File.Exists(path) && path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? path : Path.Combine(path,
            File);
        if (!System.IO.File.Exists(file))
            throw new FileNotFoundException($"'{path}' is not a trained terms model (no {File}); train one with `insitu terms train`, or " +
                "pass a seed-N/METHOD folder of `insitu terms compare`", file);
        var info = JsonFile.Read<TermsModelInfo>(file);
        if (info.Config is null || info.Tasks is null || info.Tasks.Count == 0 || info.Taps is null)
            throw new InvalidDataException($"'{file}' lacks its config or tasks; it was not written by InSitu or was edited");
        try
        {
            TermMethods.Find(info.Method ?? "");
            info.Config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"'{file}': {e.Message}", e);
        }
        return (info, Path.GetDirectoryName(Path.GetFullPath(file))!);
    }

    public TermMethod MethodKind => TermMethods.Find(Method);

    /// <summary>The featurizer the model's classifiers were trained on, built from the saved parts in <paramref name="folder"/>.</summary>
    public ITermFeaturizer Featurizer(string folder)
    {
        var method = MethodKind;
        var set = new Dictionary<string, string[]> { ["main"] = Taps };
        switch (method.Kind)
        {
            case TermFeatureKind.Pretrained:
                {
                    var net = TermNetworks.Pretrained(Config with { Weights = Weights });
                    return new NetworkFeaturizer(net, net, Config.Loader(), set, Config.PoolGrid);
                }
            case TermFeatureKind.Random:
            case TermFeatureKind.Finetuned:
                {
                    var (trunk, owner, _) = TermsNetworkInfo.Load(Path.Combine(folder, Network ?? "."));
                    return new NetworkFeaturizer(trunk, owner, Config.Loader(), set, Config.PoolGrid);
                }
            default:
                {
                    var file = Path.Combine(folder, Vocabulary ?? VocabularyFile);
                    if (!System.IO.File.Exists(file)) throw new InvalidDataException($"the model's vocabulary '{file}' is missing");
                    var state = Serialization.Load(file);
                    if (!state.TryGetValue("vocabulary", out var vocabulary))
                        throw new InvalidDataException($"'{file}' has no 'vocabulary' tensor");
                    return new CodingFeaturizer(Config.Coding, Config.CodingLoader(), vocabulary.DetachFromScope(),
                        method.Kind == TermFeatureKind.SparseCoding, "main");
                }
        }
    }

    /// <summary>The classifier of every task, loaded from <paramref name="folder"/>; dispose them after use.</summary>
    public List<(TermsModelTask task, TermClassifier classifier)> Classifiers(string folder)
    {
        var result = new List<(TermsModelTask, TermClassifier)>();
        try
        {
            foreach (var task in Tasks) result.Add((task, TermClassifier.Load(Path.Combine(folder, task.Classifier), task.Terms,
                task.Members)));
        }
        catch
        {
            foreach (var (_, c) in result) c.Dispose();
            throw;
        }
        return result;
    }

    /// <summary>The weights file a pretrained model reads: the config's, or the store's for its architecture.</summary>
    public static string ResolveWeights(TermsConfig config) =>
        Path.GetFullPath(config.Weights ?? WeightsStore.Default().WeightsPath(config.Architecture.Name));
}
