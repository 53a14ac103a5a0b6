using InSitu.Data;
using InSitu.Torch;
using InSitu.Training;
using InSitu.Workflows.Stages;

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
        var data = StageData.Load(manifest, config, seed, needCoarse: true);
        var tensors = new List<(string, Tensor)>();
        void Add(string name, IReadOnlyList<int> rows, Func<ManifestRow, long> label)
        {
            var loader = data.Evaluation(rows, label);
            tensors.Add(($"{name}_x", Inference.Images(loader)));
            var labels = rows.Select(i => label(manifest.Rows[i])).ToArray();
            tensors.Add(($"{name}_y", Tensor.FromArray(labels, labels.Length)));
        }
        Add("train", data.Train, StageData.FineLabel);
        Add("val", data.Val, StageData.FineLabel);
        Add("test", data.Test, StageData.FineLabel);
        Add("coarse", data.Coarse!, StageData.RangeLabel);
        Serialization.Save(tensors, opts["out"]);
        Console.WriteLine($"exported train {data.Train.Count}, val {data.Val.Count}, test {data.Test.Count}, coarse " +
            $"{data.Coarse!.Count} -> {opts["out"]}");
        foreach (var (_, t) in tensors) t.Dispose();
        return 0;
    }
}
