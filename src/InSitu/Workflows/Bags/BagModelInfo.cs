using InSitu.Common;
using InSitu.Reports;
using InSitu.Torch;

namespace InSitu.Workflows.Bags;

/// <summary>
/// A trained bag model as model.json records it: the config it was built with, its attributes in output order, the stage
/// masks learned from its training labels, the decision threshold of every attribute (chosen on the validation bags) for
/// the bag model and for the CNN-only rule, and its weight files relative to the record (lstm.pt is absent when the run had
/// no BiLSTM: its predictions are then the CNN's mean).
/// </summary>
public sealed record BagModelInfo(
    BagConfig Config, IReadOnlyList<string> Attributes, bool[][] PossibleByRange, double[] Thresholds, double[] CnnMeanThresholds,
    string Cnn, string? Lstm, int Seed)
{
    public const string File = "model.json";

    public AttributeSet AttributeSet => new(Attributes, PossibleByRange);

    /// <summary>What the model's predictions are: "bilstm" or "cnn_mean".</summary>
    public string Predictor => Lstm is null ? BagTraining.CnnMean : BagTraining.BiLstm;

    public void Save(string folder) => new RunDirectory(folder).WriteJson(File, this);

    /// <summary>A `bags train` run directory (its model.json) or the record itself; the networks are loaded and checked.</summary>
    public static (BagModelInfo info, ImageAttributeNetwork cnn, BagSequenceModel? lstm) Load(string path)
    {
        var file = System.IO.File.Exists(path) && path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? path
            : Path.Combine(path, File);
        if (!System.IO.File.Exists(file))
            throw new FileNotFoundException($"'{path}' is not a trained bag model (no {File}); train one with `insitu bags train`", file);
        var info = JsonFile.Read<BagModelInfo>(file);
        string Bad(string what) => $"'{file}': {what}; it was not written by InSitu or was edited";
        if (info.Config is null || info.Attributes is null || info.Thresholds is null || info.CnnMeanThresholds is null ||
            info.PossibleByRange is null || string.IsNullOrEmpty(info.Cnn))
            throw new InvalidDataException(Bad("it lacks its config, attributes, thresholds, masks or weights"));
        int t = info.Attributes.Count;
        if (t == 0 || info.Thresholds.Length != t || info.CnnMeanThresholds.Length != t ||
            info.PossibleByRange.Length != AttributeSet.Ranges || info.PossibleByRange.Any(r => r is null || r.Length != t))
            throw new InvalidDataException(Bad($"its thresholds or masks do not match its {t} attributes"));
        try
        {
            info.Config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"'{file}': its config is invalid: {e.Message}");
        }
        var folder = Path.GetDirectoryName(Path.GetFullPath(file))!;
        var cnn = new ImageAttributeNetwork(info.Config with { Pretrained = false }, t);
        BagSequenceModel? lstm = null;
        try
        {
            LoadWeights(cnn, Path.Combine(folder, info.Cnn), file);
            if (info.Lstm is { } l)
            {
                lstm = new BagSequenceModel(cnn.FeatureWidth, info.Config.LstmHidden, info.Config.LstmLayers, t, info.Config.Dropout);
                LoadWeights(lstm, Path.Combine(folder, l), file);
            }
        }
        catch
        {
            cnn.Dispose();
            lstm?.Dispose();
            throw;
        }
        cnn.Eval();
        lstm?.Eval();
        return (info, cnn, lstm);
    }

    private static void LoadWeights(Torch.NN.Module module, string weights, string record)
    {
        if (!System.IO.File.Exists(weights))
            throw new InvalidDataException($"'{record}': its weights '{Path.GetFileName(weights)}' are missing (no file '{weights}')");
        try
        {
            module.Load(weights);
        }
        catch (Exception e) when (e is TorchException or KeyNotFoundException or ArgumentException)
        {
            throw new InvalidDataException($"'{record}': '{weights}' does not fit the network its config describes: {e.Message}");
        }
    }
}
