using System.Diagnostics;
using System.Text.Json;
using InSitu.Reports;
using InSitu.Torch;
using InSitu.Torch.NN;
using InSitu.Torch.Optim;

namespace InSitu.Training;

/// <summary>
/// Trains a classifier on in-memory image tensors with SGD + multi-step decay, writing a checkpoint after every
/// epoch (model, optimizer, progress) so an interrupted run resumes exactly where it stopped.
/// </summary>
public sealed class ClassifierTrainer
{
    private readonly Module<Tensor, Tensor> model;
    private readonly TrainingConfig config;
    private readonly RunDirectory run;

    public ClassifierTrainer(Module<Tensor, Tensor> model, TrainingConfig config, RunDirectory run)
    {
        (this.model, this.config, this.run) = (model, config, run);
    }

    private sealed record Progress(int CompletedEpochs, List<EpochMetrics> History, double BestValidationAccuracy, int BestEpoch = 0);

    /// <summary>Called after each batch with (epoch, batch, batches, running loss, running accuracy, images/s).</summary>
    public Action<int, int, int, double, double, double>? OnBatch { get; set; }

    /// <summary>
    /// The training loss of a batch (augmented images, labels) and the logits it scored; plain cross-entropy on
    /// the model's output when not set. Methods with extra terms (the similarity loss) plug in here.
    /// </summary>
    public Func<Tensor, Tensor, (Tensor loss, Tensor logits)>? Loss { get; set; }

    /// <summary>
    /// Keep the weights of the epoch with the best validation accuracy (model selection on validation, never on
    /// test): they are saved as best_model.pt whenever validation improves and loaded back at the end.
    /// </summary>
    public bool SelectBestOnValidation { get; set; } = true;

    public List<EpochMetrics> Fit(Tensor trainImages, Tensor trainLabels, Tensor valImages, Tensor valLabels, bool resume)
    {
        long n = trainImages.Size(0);
        if (n != trainLabels.Size(0))
            throw new ArgumentException($"{n} training images but {trainLabels.Size(0)} labels");
        // Training stays in NCHW layout: channels-last would be ~1.4x faster, but libtorch 1.13's oneDNN
        // convolution backward corrupts the heap in that layout (bench/channels_last_training_crash.py shows it
        // in plain PyTorch). Channels-last is used for inference only, where it is safe.
        using var optimizer = new SGD(model.Parameters(), config.LearningRate, config.Momentum, config.WeightDecay);
        var scheduler = new MultiStepLR(optimizer, config.Milestones, config.Gamma);
        var progress = new Progress(0, new List<EpochMetrics>(), 0);
        if (resume && File.Exists(run.File("checkpoint.json")))
        {
            progress = JsonSerializer.Deserialize<Progress>(File.ReadAllText(run.File("checkpoint.json")), RunDirectory.Json)!;
            model.Load(run.File("checkpoint_model.pt"));
            var state = Serialization.Load(run.File("checkpoint_optimizer.pt"));
            optimizer.LoadStateDict(state);
            foreach (var t in state.Values) t.Dispose();
            scheduler.SetEpoch(progress.CompletedEpochs);
        }
        int batches = (int)((n + config.BatchSize - 1) / config.BatchSize);
        for (int epoch = progress.CompletedEpochs; epoch < config.Epochs; epoch++)
        {
            // The permutation depends only on (seed, epoch), so a resumed run sees the same batches.
            TorchRuntime.ManualSeed((ulong)(config.Seed * 1000 + epoch));
            model.Train();
            double lossSum = 0, correct = 0;
            var sw = Stopwatch.StartNew();
            using (var epochScope = TorchRuntime.NewDisposeScope())
            {
                var order = Factory.RandPerm(n);
                for (int b = 0; b < batches; b++)
                {
                    using var scope = TorchRuntime.NewDisposeScope();
                    var idx = order.Narrow(0, b * config.BatchSize, Math.Min(config.BatchSize, n - b * config.BatchSize));
                    var x = Augment(trainImages.IndexSelect(0, idx));
                    var y = trainLabels.IndexSelect(0, idx);
                    optimizer.ZeroGrad();
                    var (loss, logits) = Loss is { } custom ? custom(x, y) : CrossEntropy(x, y);
                    loss.Backward();
                    optimizer.Step();
                    lossSum += loss.Item() * idx.Size(0);
                    correct += logits.ArgMax(1).Eq(y).Sum().Item();
                    long seen = Math.Min(n, (b + 1L) * config.BatchSize);
                    OnBatch?.Invoke(epoch, b + 1, batches, lossSum / seen, correct / seen, seen / sw.Elapsed.TotalSeconds);
                }
            }
            double ips = n / sw.Elapsed.TotalSeconds;
            double valAcc = Accuracy(model, valImages, valLabels, config.BatchSize);
            var metrics = new EpochMetrics(epoch + 1, lossSum / n, correct / n, valAcc, ips, optimizer.Groups[0].LearningRate);
            progress.History.Add(metrics);
            scheduler.Step();
            if (valAcc > progress.BestValidationAccuracy || progress.BestEpoch == 0)
            {
                if (SelectBestOnValidation) model.Save(run.File("best_model.pt"));
                progress = progress with { BestValidationAccuracy = valAcc, BestEpoch = epoch + 1 };
            }
            progress = progress with { CompletedEpochs = epoch + 1 };
            SaveCheckpoint(optimizer, progress);
        }
        if (SelectBestOnValidation && File.Exists(run.File("best_model.pt"))) model.Load(run.File("best_model.pt"));
        return progress.History;
    }

    private (Tensor loss, Tensor logits) CrossEntropy(Tensor x, Tensor y)
    {
        var logits = model.Forward(x);
        return (F.CrossEntropy(logits, y), logits);
    }

    private void SaveCheckpoint(Optimizer optimizer, Progress progress)
    {
        // Weights and optimizer state first, the progress record last: a crash in between resumes from the previous epoch's record
        // with this epoch's weights never referenced.
        model.Save(run.File("checkpoint_model.pt"));
        Serialization.Save(optimizer.StateDict(), run.File("checkpoint_optimizer.pt"));
        run.WriteJson("checkpoint.json", progress);
    }

    /// <summary>Random horizontal and/or vertical flips per batch (the published code's augmentation).</summary>
    private Tensor Augment(Tensor x)
    {
        using var coin = Factory.Rand(new long[] { 2 });
        var c = coin.ToArray<float>();
        var y = x;
        if (config.FlipHorizontal && c[0] < 0.5f) y = y.Flip(3);
        if (config.FlipVertical && c[1] < 0.5f) y = y.Flip(2);
        return y;
    }

    /// <summary>Top-1 accuracy in eval and inference mode, batch by batch.</summary>
    public static double Accuracy(Module<Tensor, Tensor> model, Tensor images, Tensor labels, int batchSize)
    {
        var predicted = Predict(model, images, batchSize);
        var truth = labels.ToLongArray();
        return predicted.Length == 0 ? 0 : (double)predicted.Where((p, i) => p == truth[i]).Count() / predicted.Length;
    }

    /// <summary>Predicted class per image.</summary>
    public static long[] Predict(Module<Tensor, Tensor> model, Tensor images, int batchSize)
    {
        model.Eval();
        using var inference = Autograd.InferenceMode();
        var result = new List<long>();
        for (long s = 0; s < images.Size(0); s += batchSize)
        {
            using var scope = TorchRuntime.NewDisposeScope();
            result.AddRange(model.Forward(images.Narrow(0, s, Math.Min(batchSize, images.Size(0) - s))).ArgMax(1).ToLongArray());
        }
        return result.ToArray();
    }
}
