using System.Globalization;
using InSitu.Data;
using InSitu.Models;
using InSitu.Reports;
using InSitu.Torch;
using InSitu.Training;
using InSitu.Workflows.Stages;

/// <summary>
/// Replays the retired stage trainer's batch policy on today's shared Trainer: the whole split in memory, a libtorch
/// permutation per (seed, epoch) and one flip coin per batch. Run on the same manifest and config as the retired
/// `stage compare --methods plain`, its curve and test predictions show whether moving onto the Trainer changed any
/// arithmetic, apart from the batch policy (per-image flips in the loader) that replaced this one.
///   InSitu.Bench legacy-replay --manifest M.csv --config C.json [--seed 1] --out replay.json
/// </summary>
static class LegacyReplay
{
    /// <summary>The retired policy: permutation drawn from libtorch's generator, one coin pair for the whole batch.</summary>
    private sealed class WholeBatchFlips(Tensor images, Tensor labels, TrainingConfig config) : IBatchSource<ImageBatch>
    {
        public int Count => (int)images.Size(0);

        public int BatchesPerEpoch => (Count + config.BatchSize - 1) / config.BatchSize;

        public IEnumerable<ImageBatch> Epoch(int epoch, CancellationToken cancel = default)
        {
            using var order = Factory.RandPerm(Count);
            for (int b = 0; b < BatchesPerEpoch; b++)
            {
                using var idx = order.Narrow(0, (long)b * config.BatchSize, Math.Min(config.BatchSize, Count - (long)b * config.BatchSize));
                using var coin = Factory.Rand(new long[] { 2 });
                var c = coin.ToArray<float>();
                var x = images.IndexSelect(0, idx);
                if (config.FlipHorizontal && c[0] < 0.5f) x = Replace(x, x.Flip(3));
                if (config.FlipVertical && c[1] < 0.5f) x = Replace(x, x.Flip(2));
                yield return new ImageBatch(x, labels.IndexSelect(0, idx), idx.ToLongArray().Select(i => (int)i).ToArray());
            }
        }

        private static Tensor Replace(Tensor old, Tensor flipped)
        {
            old.Dispose();
            return flipped;
        }
    }

    public static int Run(Dictionary<string, string> opts)
    {
        var manifest = Manifest.Load(opts["manifest"]);
        var config = StageConfig.Load(opts["config"], StageConfig.Demo);
        int seed = int.Parse(opts.GetValueOrDefault("seed", "1"), CultureInfo.InvariantCulture);
        var data = StageData.Load(manifest, config, seed, needCoarse: false);
        using var trainX = Inference.Images(data.Evaluation(data.Train));
        using var valX = Inference.Images(data.Evaluation(data.Val));
        using var testX = Inference.Images(data.Evaluation(data.Test));
        using var trainY = Tensor.FromArray(data.TrainTruth, data.Train.Count);
        using var valY = Tensor.FromArray(data.ValTruth, data.Val.Count);
        var training = config.Fine with { Seed = seed };
        TorchRuntime.ManualSeed((ulong)(seed * 7 + PreciseStage.Count)); // as the stage runner makes a network
        using var net = new ResNet(config.Network(PreciseStage.Count));
        var task = new ClassificationTask(net, new TensorBatchSource(valX, valY, training.BatchSize, shuffle: false));
        var run = Path.Combine(Path.GetTempPath(), $"insitu-legacy-replay-{Environment.ProcessId}");
        var curve = new Trainer<ImageBatch>(task, new WholeBatchFlips(trainX, trainY, training), training, new RunDirectory(run))
            .Fit(resume: false);
        Directory.Delete(run, recursive: true);
        var evaluation = StageEvaluation.Of(Inference.Classify(net, testX), data.TestTruth);
        new RunDirectory(Path.GetDirectoryName(Path.GetFullPath(opts["out"]))!).WriteJson(Path.GetFileName(opts["out"]), new
        {
            seed,
            mean_per_stage_accuracy = evaluation.MeanPerStageAccuracy,
            evaluation.PerStageAccuracy,
            train_loss = curve.Select(e => e.TrainLoss),
            validation_accuracy = curve.Select(e => e.Selection),
        });
        Console.WriteLine(FormattableString.Invariant(
            $"mean per-stage accuracy {100 * evaluation.MeanPerStageAccuracy:F2}% -> {opts["out"]}"));
        return 0;
    }
}
