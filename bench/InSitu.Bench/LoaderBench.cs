using System.Diagnostics;
using System.Globalization;
using InSitu.Data;
using InSitu.Models;
using InSitu.Synthesis;
using InSitu.Torch;
using InSitu.Torch.Optim;

/// <summary>
/// Does the data pipeline keep up with training? Simulates 256 BDGP-like 128x320 PNGs, then measures, in one run,
/// (a) the loader alone: decode + grey + augment (flips, rotation, crop, blur, noise) + normalise + batch, with
/// prefetching; (b) training steps of the paper's ResNet fed by the loader, batch 16.
///   InSitu.Bench loader [--tables DIR] [--images 256] [--steps 6] [--out bench/results/loader.json]
/// </summary>
static class LoaderBench
{
    public static int Run(Dictionary<string, string> opts)
    {
        var tables = BdgpLabelTables.LoadOrFind(opts.GetValueOrDefault("tables"));
        int n = int.Parse(opts.GetValueOrDefault("images", "256")), steps = int.Parse(opts.GetValueOrDefault("steps", "6"));
        var dir = Path.Combine(Path.GetTempPath(), $"insitu-loader-bench-{Environment.ProcessId}");
        try
        {
            var sim = DatasetSimulator.Generate(tables, new SynthOptions(n, 1), dir);
            var options = new LoaderOptions { BatchSize = 16, Shuffle = true, Augment = new AugmentOptions() };
            var loader = new ImageBatchLoader(sim.Manifest, options, r => Math.Max(0, (r.Stage ?? 4) - 4));
            foreach (var b in loader.Epoch(0)) b.Dispose(); // warm the file cache and the JIT
            var watch = Stopwatch.StartNew();
            int images = 0;
            for (int epoch = 1; epoch <= 2; epoch++)
                foreach (var b in loader.Epoch(epoch))
                {
                    images += (int)b.Images.Shape[0];
                    b.Dispose();
                }
            double loaderIps = images / watch.Elapsed.TotalSeconds;

            TorchRuntime.ManualSeed(0);
            using var net = new ResNet(ResNetConfig.Paper(1, 14));
            using var opt = new SGD(net.Parameters(), 0.001, momentum: 0.9, weightDecay: 5e-4);
            int done = 0, trained = 0;
            double trainSeconds = 0;
            foreach (var b in loader.Epoch(3))
            {
                using var batch = b;
                var sw = Stopwatch.StartNew();
                using (var scope = TorchRuntime.NewDisposeScope())
                {
                    opt.ZeroGrad();
                    F.CrossEntropy(net.Forward(batch.Images), batch.Labels!).Backward();
                    opt.Step();
                }
                if (done++ > 0) // the first step builds oneDNN's kernels
                {
                    trainSeconds += sw.Elapsed.TotalSeconds;
                    trained += (int)batch.Images.Shape[0];
                }
                if (done > steps) break;
            }
            double trainIps = trained / trainSeconds;
            var json = string.Create(CultureInfo.InvariantCulture,
                $"{{\"images\": {n}, \"size\": \"1x128x320\", \"batch\": 16, \"threads\": {TorchRuntime.Threads}, \"cores\": " +
                $"{Environment.ProcessorCount}, " +
                $"\"loader_images_per_s\": {loaderIps:F1}, \"paper_resnet_training_images_per_s\": {trainIps:F2}, " +
                $"\"loader_over_training\": {loaderIps / trainIps:F1}}}");
            var outFile = opts.GetValueOrDefault("out", "bench/results/loader.json");
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outFile))!);
            File.WriteAllText(outFile, json + "\n");
            Console.WriteLine(json);
            return 0;
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
