using InSitu.Models;
using InSitu.Reports;
using InSitu.Torch;

namespace InSitu.Stages;

/// <summary>How a trained network is found again: its method, the config it was built with, and its weights (relative to this record's folder).</summary>
public sealed record StageModelInfo(string Method, StageConfig Config, string Weights)
{
    /// <summary>A model from a `stage train` run directory (its model.json) or any *.model.json a comparison wrote.</summary>
    public static (ResNet net, StageModelInfo info) Load(string path)
    {
        var infoFile = File.Exists(path) && path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? path : Path.Combine(path, "model.json");
        if (!File.Exists(infoFile))
            throw new FileNotFoundException($"'{path}' is not a trained stage model (no model.json); train one with `insitu stage train`, or pass a seed-N/METHOD.model.json of a comparison", infoFile);
        var info = System.Text.Json.JsonSerializer.Deserialize<StageModelInfo>(File.ReadAllText(infoFile), RunDirectory.Json)!;
        if (info.Method == "gabor") throw new ArgumentException("a gabor run has no network to load; evaluate, predict and explain work with plain, data and data+feature models");
        var net = new ResNet(info.Config.Network(14));
        var weights = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(infoFile))!, info.Weights);
        try
        {
            net.Load(weights);
        }
        catch (Exception e) when (e is TorchException or KeyNotFoundException or ArgumentException)
        {
            net.Dispose();
            throw new InvalidDataException($"the checkpoint '{weights}' does not fit a {info.Config.Model} network of width {info.Config.BaseWidth} for {info.Config.Height}x{info.Config.Width} images: {e.Message}");
        }
        return (net, info);
    }
}
