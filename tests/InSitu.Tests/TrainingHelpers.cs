using InSitu.Data;
using InSitu.Reports;
using InSitu.Torch.NN;
using InSitu.Training;

namespace InSitu.Tests;

/// <summary>Trains a classifier on in-memory tensors through the shared trainer, as tests need it.</summary>
internal static class TrainingHelpers
{
    public static IReadOnlyList<EpochMetrics> Fit(Module<Tensor, Tensor> model, TrainingConfig config, string runDir, Tensor x,
        Tensor y, Tensor vx, Tensor vy,
        bool resume = false, ITrainerCallback? extra = null)
    {
        var task = new ClassificationTask(model, new TensorBatchSource(vx, vy, 64, shuffle: false));
        var trainer = new Trainer<ImageBatch>(task, new TensorBatchSource(x, y, config.BatchSize, seed: config.Seed), config,
            new RunDirectory(runDir));
        if (extra is not null) trainer.Callbacks.Add(extra);
        return trainer.Fit(resume);
    }

    /// <summary>Kills the run (an exception, as a crash would) at the end of the given epoch, after its checkpoint.</summary>
    public sealed class KillAfterEpoch(int epoch) : ITrainerCallback
    {
        public void OnEpochEnd(TrainerContext context, EpochMetrics metrics)
        {
            if (metrics.Epoch == epoch) throw new OperationCanceledException($"killed after epoch {epoch}");
        }
    }

    public static double Accuracy(Module<Tensor, Tensor> model, Tensor x, Tensor y) =>
        Inference.Accuracy(model, new TensorBatchSource(x, y, 64, shuffle: false));
}
