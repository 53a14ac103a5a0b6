using System.Text;
using InSitu.Data;
using InSitu.Reports;

namespace InSitu.Workflows.Terms;

/// <summary>
/// `terms extract`: tap-point features of a manifest's (or folder's) images streamed to disk, from the pretrained
/// network, a random-weights one (seeded; batch-norm statistics from the images) or a saved terms network (a
/// `terms finetune` run, or the model folder of a tl+mtl / tl-random model). Writes features.bin (the config's taps;
/// and features.LAYER.bin for each --layers tap), rows.csv (the image of each feature row, in order) and config.json;
/// unreadable images are skipped and listed in failures.csv.
/// </summary>
public static class TermExtraction
{
    public sealed record Result(Dictionary<string, FeatureFile> Files, int Images, IReadOnlyList<(string path, string reason)> Failures,
        string FailuresPath);

    public static Result Run(string input, TermsConfig config, string from, int seed, bool layers, string outDir, TermsProgress? progress)
    {
        config.Validate();
        var (m, skipped) = ImageInputs.Collect([input]);
        if (m.Rows.Count == 0) throw new InvalidDataException($"no usable images in '{input}'");
        var rows = Enumerable.Range(0, m.Rows.Count).ToList();
        var run = new RunDirectory(outDir);
        var sets = new Dictionary<string, string[]> { ["main"] = config.Taps };
        if (layers) foreach (var layer in config.Layers) sets.TryAdd(layer, [layer]);
        ITermFeaturizer featurizer;
        var loader = config.Loader();
        switch (from)
        {
            case "pretrained":
                {
                    var net = TermNetworks.Pretrained(config);
                    featurizer = new NetworkFeaturizer(net, net, loader, sets, config.PoolGrid);
                    break;
                }
            case "random":
                {
                    var net = TermNetworks.Random(config, seed, new ImageBatchLoader(m, loader with { Shuffle = true, Seed = seed })
                    {
                        BadImage = (_, _) => { },
                    });
                    featurizer = new NetworkFeaturizer(net, net, loader, sets, config.PoolGrid);
                    break;
                }
            default:
                {
                    var (trunk, owner, info) = TermsNetworkInfo.Load(from);
                    if (info.Config.Network != config.Network || info.Config.Height != config.Height || info.Config.Width != config.Width)
                    {
                        owner.Dispose();
                        throw new ArgumentException($"'{from}' holds a {info.Config.Network} network for " +
                            $"{info.Config.Height}x{info.Config.Width} images, but the config asks for {config.Network} at " +
                            $"{config.Height}x{config.Width}; use the same --preset/--config");
                    }
                    featurizer = new NetworkFeaturizer(trunk, owner, loader, sets, config.PoolGrid);
                    break;
                }
        }
        var written = new List<int>();
        var bad = new System.Collections.Concurrent.ConcurrentBag<(int row, string reason)>();
        Dictionary<string, FeatureFile> files;
        using (featurizer)
            files = TermFeatureExtraction.Run(m, rows, featurizer, set => run.File(set == "main" ? "features.bin" : $"features.{set}.bin"),
                new { from, network = config.Network, taps = config.Taps, pool_grid = config.PoolGrid, sets }, null, progress, "extracting",
                written, (row, e) => bad.Add((row, e.Message)));
        var csv = new StringBuilder("row,path\n");
        for (int i = 0; i < written.Count; i++) csv.Append(Csv.Line([i.ToString(System.Globalization.CultureInfo.InvariantCulture),
            m.FullPath(m.Rows[written[i]])])).Append('\n');
        run.WriteText("rows.csv", csv.ToString());
        run.WriteJson("config.json", new { config, from, seed, input });
        var failures = skipped.Concat(bad.OrderBy(b => b.row).Select(b => (m.FullPath(m.Rows[b.row]), b.reason))).ToList();
        var failuresPath = run.File("failures.csv");
        FailureReport.Write(failuresPath, failures);
        return new Result(files, written.Count, failures, failuresPath);
    }
}
