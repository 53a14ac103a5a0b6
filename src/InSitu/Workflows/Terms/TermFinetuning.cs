using InSitu.Data;
using InSitu.Reports;
using InSitu.Torch;
using InSitu.Training;

namespace InSitu.Workflows.Terms;

/// <summary>
/// Multi-task fine-tuning (seed 001, section 3): the pretrained network gets one sigmoid output per term of every task
/// (an image's terms are its bag's), shares all hidden layers between them, and trains every layer on the training
/// images with loss = sum over terms of binary cross-entropy, on the shared <see cref="Trainer{TBatch}"/>
/// (checkpoints, resume, best epoch by mean AUC on held-out training genes). The result is saved as network.pt with its
/// <see cref="TermsNetworkInfo"/>, so features can be taken from the fine-tuned layers.
/// </summary>
public static class TermFinetuning
{
    public const string Weights = "network.pt";

    public static (MultiTaskNetwork net, List<EpochMetrics> curve) Run(TermsConfig config, TermTaskSet set, int seed, string folder,
        bool resume, DecodedImageCache? cache, TermsProgress? progress)
    {
        var run = new RunDirectory(folder);
        var terms = set.AllTerms;
        var trunk = TermNetworks.Pretrained(config);
        int trunkClasses = (int)trunk.StateDict().First(e => e.name == config.Architecture.ClassifierKey).tensor.Size(0);
        TorchRuntime.ManualSeed((ulong)seed * 31 + 5);
        MultiTaskNetwork net;
        try
        {
            net = TermNetworks.MultiTask(config, trunk, terms.Count);
        }
        catch
        {
            trunk.Dispose();
            throw;
        }
        try
        {
            var done = run.File(Weights);
            if (resume && File.Exists(done) && File.Exists(run.File(TermsNetworkInfo.File)) && File.Exists(run.File(CurveFile.File)))
            {
                net.Load(done);
                net.Eval();
                return (net, run.ReadJson<List<EpochMetrics>>(CurveFile.File));
            }
            var (train, val) = set.FinetuneSplit(config.ValidationShare, seed);
            var settings = config.Finetune with { Seed = seed };
            var options = config.Loader(settings.BatchSize) with
            {
                Shuffle = true,
                Seed = seed,
                Augment = AugmentOptions.None with { FlipHorizontal = settings.FlipHorizontal, FlipVertical = settings.FlipVertical },
            };
            float[] Targets(ManifestRow r) => set.Targets(r, terms);
            var source = new ImageBatchLoader(set.Manifest, options, rows: train, cache: cache, targets: Targets);
            var validation = new ImageBatchLoader(set.Manifest, config.Loader(), rows: val, cache: cache, targets: Targets);
            var trainer = new Trainer<ImageBatch>(new MultiLabelTask(net, validation), source, settings, run);
            if (progress is { } report)
                trainer.Callbacks.Add(new ProgressReport(p => report("fine-tuning", (long)(p.Epoch - 1) * p.Batches + p.Batch,
                    (long)p.Epochs * p.Batches, $"epoch {p.Epoch}/{p.Epochs} loss {p.Loss:F3} {p.ItemsPerSecond:F0} img/s")));
            var curve = trainer.Fit(resume).ToList();
            net.Eval();
            AtomicFile.Write(done, net.Save);
            new TermsNetworkInfo(TermsNetworkKind.Finetuned, config, seed, trunkClasses, net.HeadTap, terms.ToArray(),
                Weights).Save(folder);
            return (net, curve);
        }
        catch
        {
            net.Dispose();
            throw;
        }
    }
}
