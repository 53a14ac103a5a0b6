using InSitu.Data;
using InSitu.Stages;
using InSitu.Torch;

/// <summary>
/// Writes the exact tensors one seed of `insitu stage compare` trains and tests on (same manifest, split, size and
/// normalisation) as a PyTorch-readable file, so bench/torch_stage.py runs the same method on the same data.
///   InSitu.Bench stage-export --manifest M.csv --config RUN/config.json --seed 1 --out tensors.pt
/// </summary>
static class StageExport
{
    public static int Run(Dictionary<string, string> opts)
    {
        var manifest = Manifest.Load(opts["manifest"]);
        // the run's resolved config: {"config": {...}, "methods": ..., ...}
        var run = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(opts["config"]))!;
        var config = StageConfig.FromJson(run["config"]!.ToJsonString(), new StageConfig(), opts["config"]);
        int seed = int.Parse(opts.GetValueOrDefault("seed", "1"));
        using var data = StageData.Load(manifest, config, seed, needCoarse: true);
        Serialization.Save(new List<(string, Tensor)>
        {
            ("train_x", data.TrainX), ("train_y", data.TrainY), ("val_x", data.ValX), ("val_y", data.ValY),
            ("test_x", data.TestX), ("test_y", data.TestY), ("coarse_x", data.CoarseX!), ("coarse_y", data.CoarseY!),
        }, opts["out"]);
        Console.WriteLine($"exported train {data.TrainX.Size(0)}, val {data.ValX.Size(0)}, test {data.TestX.Size(0)}, coarse {data.CoarseX!.Size(0)} -> {opts["out"]}");
        return 0;
    }
}
