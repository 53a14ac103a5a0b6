using InSitu.Data;
using InSitu.Reports;

namespace InSitu.Workflows.Terms;

/// <summary>
/// `terms train`: one method, one seed, written as a model folder (model.json, classifiers, the saved network or
/// vocabulary, feature files) with its test evaluation (evaluation.json) and the split it used (split.csv).
/// </summary>
public static class TermTraining
{
    public static TermOutcome Train(Manifest manifest, TermsConfig config, TermMethod method, int seed, string outDir, bool resume,
        TermsProgress? progress = null, Action<string>? log = null)
    {
        config.Validate();
        var set = TermTaskSet.Build(manifest, config, seed);
        var run = new RunDirectory(outDir);
        run.WriteJson("config.json", new { config, method = method.Name, seed, manifest = manifest.SourceFile });
        // the images with the split this model was trained and tested on: `terms evaluate MODEL MODEL/split.csv` repeats the test
        set.Manifest.Save(run.File("split.csv"));
        var runner = new TermMethodRunner(config, set, seed, outDir, outDir, resume)
        {
            Progress = progress,
            Log = log,
            ModelFolderOf = _ => outDir,
        };
        var outcome = runner.Run(method, layers: false)[0];
        run.WriteJson("evaluation.json", outcome with { Scores = [] });
        return outcome;
    }
}
