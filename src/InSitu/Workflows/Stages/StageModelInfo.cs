using InSitu.Common;
using InSitu.Models;
using InSitu.Reports;
using InSitu.Torch;

namespace InSitu.Workflows.Stages;

/// <summary>How a trained network is found again: its method, the config it was built with, and its weights (relative to this record's
/// folder).</summary>
public sealed record StageModelInfo(string Method, StageConfig Config, string Weights)
{
    /// <summary>Writes <paramref name="name"/>.pt and the record <paramref name="name"/>.json into <paramref name="folder"/>; returns the
    /// record's file name.</summary>
    public static string Save(string folder, string name, StageMethod method, StageConfig config, ResNet net)
    {
        var weights = $"{name}.pt";
        AtomicFile.Write(Path.Combine(folder, weights), net.Save);
        new RunDirectory(folder).WriteJson($"{name}.json", new StageModelInfo(method.Name, config, weights));
        return $"{name}.json";
    }

    /// <summary>A model from a `stage train` run directory (its model.json) or any *.model.json a comparison wrote.</summary>
    public static (ResNet net, StageModelInfo info) Load(string path)
    {
        var infoFile = File.Exists(path) && path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? path
            : Path.Combine(path, "model.json");
        if (!File.Exists(infoFile))
            throw new FileNotFoundException($"'{path}' is not a trained stage model (no model.json); train one with " +
                $"`insitu stage train`, " +
                "or pass a seed-N/METHOD.model.json of a comparison", infoFile);
        var info = JsonFile.Read<StageModelInfo>(infoFile);
        if (info.Config is null || string.IsNullOrEmpty(info.Weights))
            throw new InvalidDataException($"'{infoFile}' lacks its config or weights; it was not written by InSitu or was edited");
        StageMethod method;
        try
        {
            method = StageMethods.Find(info.Method ?? "");
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"'{infoFile}': {e.Message}");
        }
        if (!method.HasNetwork)
            throw new InvalidDataException($"'{infoFile}': a {method} run has no network to load; " +
                "evaluate, predict and explain work with " +
                string.Join(", ", StageMethods.All.Where(m => m.HasNetwork)) + " models");
        try
        {
            info.Config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"'{infoFile}': its config is invalid: {e.Message}");
        }
        var weights = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(infoFile))!, info.Weights);
        if (!File.Exists(weights))
            throw new InvalidDataException($"'{infoFile}': its weights '{info.Weights}' are missing (no file '{weights}')");
        var net = new ResNet(info.Config.Network(Data.PreciseStage.Count));
        try
        {
            net.Load(weights);
        }
        catch (Exception e) when (e is TorchException or KeyNotFoundException or ArgumentException)
        {
            net.Dispose();
            throw new InvalidDataException($"'{infoFile}': the checkpoint '{weights}' does not fit " +
                $"a {EnumNames.Name(info.Config.Model)} network of width " +
                $"{info.Config.BaseWidth} for {info.Config.Height}x{info.Config.Width} images: {e.Message}");
        }
        return (net, info);
    }
}
