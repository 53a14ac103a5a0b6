using InSitu.Common;
using InSitu.Models;
using InSitu.Reports;
using InSitu.Torch;

namespace InSitu.Workflows.Segmentation;

/// <summary>How a trained segmentation network is found again: its config, classes and weights (relative to the record).</summary>
public sealed record SegmentationModelInfo(SegmentationConfig Config, int Classes, string[] ClassNames, string Weights);

/// <summary>A trained U-Net with what it needs to read images as it was trained: classes, colour, scale, normalisation.</summary>
public sealed class SegmentationModel : IDisposable
{
    public const string InfoFile = "model.json";

    public SegmentationModel(SegmentationConfig config, int classes, IReadOnlyList<string>? names = null)
    {
        config.Validate();
        if (classes is < 2 or > 255) throw new ArgumentException($"a segmentation model has 2..255 classes (got {classes})");
        Config = config with { Classes = classes };
        ClassNames = names is { Count: > 0 } ? names.ToArray() : Enumerable.Range(0, classes).Select(c => $"class{c}").ToArray();
        if (ClassNames.Length != classes) throw new ArgumentException($"{ClassNames.Length} class names for {classes} classes");
        Net = new UNet(config.Network(classes));
    }

    public SegmentationConfig Config { get; }
    public UNet Net { get; }
    public int Classes => Net.Config.Classes;
    public string[] ClassNames { get; }

    /// <summary>
    /// Writes <paramref name="name"/>.pt and the record <paramref name="name"/>.json (model.json by default) into the folder.
    /// </summary>
    public string Save(string folder, string name = "model")
    {
        Directory.CreateDirectory(folder);
        var weights = $"{name}.pt";
        AtomicFile.Write(Path.Combine(folder, weights), Net.Save);
        new RunDirectory(folder).WriteJson($"{name}.json", new SegmentationModelInfo(Config, Classes, ClassNames, weights));
        return Path.Combine(folder, $"{name}.json");
    }

    /// <summary>A model from a `segment train` run directory (its model.json) or a model record file.</summary>
    public static SegmentationModel Load(string path)
    {
        var infoFile = File.Exists(path) && path.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
            ? path : Path.Combine(path, InfoFile);
        if (!File.Exists(infoFile))
            throw new FileNotFoundException($"'{path}' is not a trained segmentation model (no {InfoFile}); train one with " +
                "`insitu segment train`", infoFile);
        var info = JsonFile.Read<SegmentationModelInfo>(infoFile);
        if (info.Config is null || string.IsNullOrEmpty(info.Weights) || info.ClassNames is null)
            throw new InvalidDataException(
                $"'{infoFile}' lacks its config, classes or weights; it was not written by `insitu segment train`");
        var weights = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(infoFile))!, info.Weights);
        if (!File.Exists(weights))
            throw new InvalidDataException($"'{infoFile}': its weights '{info.Weights}' are missing (no file '{weights}')");
        SegmentationModel model;
        try
        {
            model = new SegmentationModel(info.Config, info.Classes, info.ClassNames);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"'{infoFile}': {e.Message}");
        }
        try
        {
            model.Net.Load(weights);
        }
        catch (Exception e) when (e is TorchException or KeyNotFoundException or ArgumentException)
        {
            model.Dispose();
            throw new InvalidDataException($"'{infoFile}': the weights '{weights}' do not fit a U-Net of depth {info.Config.Depth}, " +
                $"width {info.Config.BaseWidth}, {info.Config.Steps} step(s) and {info.Classes} classes: {e.Message}");
        }
        model.Net.Eval();
        return model;
    }

    public void Dispose() => Net.Dispose();
}
