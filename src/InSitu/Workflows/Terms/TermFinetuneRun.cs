using InSitu.Data;
using InSitu.Reports;
using InSitu.Training;

namespace InSitu.Workflows.Terms;

/// <summary>
/// `terms finetune`: multi-task fine-tuning alone, on the training split of one seed: network.pt and network.json
/// (which `terms extract --from DIR` reads), the trainer's checkpoints and curve.json; resumable.
/// </summary>
public static class TermFinetuneRun
{
    public static (List<EpochMetrics> curve, int terms, int images) Run(Manifest manifest, TermsConfig config, int seed, string outDir,
        bool resume, TermsProgress? progress)
    {
        config.Validate();
        var set = TermTaskSet.Build(manifest, config, seed);
        new RunDirectory(outDir).WriteJson("config.json", new { config, seed, manifest = manifest.SourceFile, terms = set.AllTerms });
        var (net, curve) = TermFinetuning.Run(config, set, seed, outDir, resume, null, progress);
        net.Dispose();
        return (curve, set.AllTerms.Count, set.TrainRows.Count);
    }
}
