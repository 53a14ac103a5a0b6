using System.CommandLine;
using System.Globalization;
using InSitu.Data;
using InSitu.Workflows.Terms;
using Spectre.Console;

namespace InSitu.Cli;

/// <summary>`insitu terms extract|finetune|train|evaluate|predict|compare`: CV-term annotation (METHODS.md section 4).</summary>
public static class TermsCommands
{
    private static readonly Option<string?> ConfigOption = new("--config")
    {
        Description = "JSON file overriding settings, e.g. {\"taps\": [\"block_9\"], \"classifier\": {\"members\": 11}} " +
            "(the resolved config is saved with the run)"
    };
    private static readonly Option<string> PresetOption = new("--preset")
    {
        Description = "Base settings: paper (VGG16 at 224x224, layer 21, the paper's set-up) or demo (MobileNetV2 at 64x160, minutes " +
            "on 2 cores)",
        DefaultValueFactory = _ => "paper"
    };
    private static readonly Option<bool> LabelsAsTermsOption = new("--labels-as-terms")
    {
        Description = "Each image's class (column 'label') is its one term: a multi-class set as one-vs-rest tasks"
    };
    private static readonly Option<int> SeedOption = new("--seed")
    {
        Description = "Seed of the split and the training",
        DefaultValueFactory = _ => 1
    };

    private const string ModelDescription = "Model folder of `terms train` or a seed-N/METHOD folder of `terms compare`";

    static TermsCommands()
    {
        PresetOption.AcceptOnlyFromAmong("paper", "demo");
    }

    public static Command Build()
    {
        var terms = new Command("terms",
            "CV-term annotation per stage range: pretrained-network features, multi-task fine-tuning, per-term logistic-regression " +
            "ensembles, and the sparse-coding baseline");
        terms.Subcommands.Add(Extract());
        terms.Subcommands.Add(Finetune());
        terms.Subcommands.Add(Train());
        terms.Subcommands.Add(Evaluate());
        terms.Subcommands.Add(Predict());
        terms.Subcommands.Add(Compare());
        return terms;
    }

    private static TermsConfig ResolveConfig(ParseResult pr)
    {
        var baseline = TermsConfig.Preset(pr.GetValue(PresetOption)!);
        var config = pr.GetValue(ConfigOption) is { } file ? TermsConfig.Load(file, baseline) : baseline;
        if (pr.GetValue(LabelsAsTermsOption)) config = config with { LabelsAsTerms = true };
        config.Validate();
        return config;
    }

    private static Option<string> OutOption(string what) => new("--out") { Description = what, Required = true };

    /// <summary>Runs <paramref name="work"/> under progress bars fed by its <see cref="TermsProgress"/>, one bar per phase.</summary>
    private static void WithProgress(Action<TermsProgress> work) =>
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(),
                new SpinnerColumn())
            .Start(ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                work((phase, done, total, detail) =>
                {
                    if (!tasks.TryGetValue(phase, out var task)) tasks[phase] = task = ctx.AddTask(Markup.Escape(phase),
                        maxValue: Math.Max(1, total));
                    task.MaxValue = Math.Max(1, total);
                    task.Value = done;
                    task.Description = Markup.Escape(detail.Length > 0 ? $"{phase}: {detail}" : phase);
                    if (done >= total) task.StopTask();
                });
            });

    private static void Log(string message) => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(message)}[/]");

    private static Command Extract()
    {
        var cmd = new Command("extract",
            "Stream tap-point features of images to disk (features.bin, rows.csv): from the pretrained network, random weights, or a " +
            "saved terms network");
        var input = new Argument<string>("input") { Description = "Manifest CSV or folder of images" };
        var output = OutOption("Folder for features.bin, features.LAYER.bin (--layers), rows.csv, failures.csv, config.json");
        var from = new Option<string>("--from")
        {
            Description = "pretrained (the config's network and weights), random (same architecture, random weights, --seed), or " +
                "a folder " +
                "holding network.json (`terms finetune`, or a tl+mtl / tl-random model)",
            DefaultValueFactory = _ => "pretrained"
        };
        var layers = new Option<bool>("--layers") { Description = "Also write each of the config's comparison layers alone" };
        cmd.Arguments.Add(input);
        foreach (var o in new Option[] { output, from, layers, SeedOption, PresetOption, ConfigOption }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var config = ResolveConfig(pr);
            var outDir = Path.GetFullPath(pr.GetValue(output)!);
            TermExtraction.Result? result = null;
            WithProgress(p => result = TermExtraction.Run(pr.GetValue(input)!, config, pr.GetValue(from)!, pr.GetValue(SeedOption),
                pr.GetValue(layers), outDir, p));
            foreach (var (set, file) in result!.Files)
                Console.WriteLine($"{(set == "main" ? string.Join("+", config.Taps) : set)}: {file.Rows} x {file.Columns} -> {file.Path}");
            DataCommands.PrintSkipped("skipped", result.Failures, result.FailuresPath);
            Console.WriteLine(FailureReport.Summary("extracted", result.Images, result.Images + result.Failures.Count,
                result.Failures.Count,
                result.FailuresPath));
            return 0;
        });
        return cmd;
    }

    private static Command Finetune()
    {
        var cmd = new Command("finetune",
            "Multi-task fine-tuning alone: one sigmoid output per term of every range, loss = sum of per-term BCE, all layers trained");
        var manifest = new Argument<string>("manifest") { Description = "Manifest with 'terms' (and 'range', 'bag', 'gene')" };
        var output = OutOption("Run directory: network.pt, network.json, checkpoints, curve.json");
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted fine-tuning from its checkpoints" };
        cmd.Arguments.Add(manifest);
        foreach (var o in new Option[] { output, SeedOption, PresetOption, ConfigOption, LabelsAsTermsOption, resume }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var config = ResolveConfig(pr);
            var outDir = Path.GetFullPath(pr.GetValue(output)!);
            var data = Manifest.Load(pr.GetValue(manifest)!);
            List<Training.EpochMetrics> curve = [];
            int terms = 0, images = 0;
            WithProgress(p => (curve, terms, images) = TermFinetuneRun.Run(data, config, pr.GetValue(SeedOption), outDir,
                pr.GetValue(resume), p));
            var best = curve.Select(e => e.Validation.GetValueOrDefault("mean_auc", double.NaN)).DefaultIfEmpty(double.NaN).Max();
            Console.WriteLine($"fine-tuned {config.Network} on {images} images for {terms} terms; best validation mean AUC {best:F3}; " +
                $"run: {outDir}");
            return 0;
        });
        return cmd;
    }

    private static Command Train()
    {
        var cmd = new Command("train",
            "Train one method (sc, bovw, tl, tl+mtl, tl-random) for one seed: a model folder with its test evaluation");
        var manifest = new Argument<string>("manifest") { Description = "Manifest with 'terms' (and 'range', 'bag', 'gene')" };
        var output = OutOption("Model folder (model.json, classifiers, network or vocabulary, features, evaluation.json)");
        var method = new Option<string>("--method")
        {
            Description = string.Join("; ", TermMethods.All.Select(m => $"{m.Name}: {m.Description}")),
            DefaultValueFactory = _ => TermMethods.Tl.Name
        };
        var resume = new Option<bool>("--resume") { Description = "Reuse the features and fine-tuning an interrupted run left" };
        cmd.Arguments.Add(manifest);
        foreach (var o in new Option[] { output, method, SeedOption, PresetOption, ConfigOption, LabelsAsTermsOption, resume })
            cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var config = ResolveConfig(pr);
            var chosen = TermMethods.Find(pr.GetValue(method)!);
            var outDir = Path.GetFullPath(pr.GetValue(output)!);
            var data = Manifest.Load(pr.GetValue(manifest)!);
            TermOutcome? outcome = null;
            WithProgress(p => outcome = TermTraining.Train(data, config, chosen, pr.GetValue(SeedOption), outDir, pr.GetValue(resume), p,
                Log));
            PrintTable(outcome!);
            Console.WriteLine($"{chosen}: mean AUC {outcome!.MeanAuc:F4} on the test split; model: {outDir}");
            return 0;
        });
        return cmd;
    }

    private static void PrintTable(TermOutcome outcome)
    {
        var t = new Table().AddColumn("task").AddColumn("term");
        foreach (var (name, _) in TermMetrics.Measures) t.AddColumn(new TableColumn(name).RightAligned());
        t.AddColumn(new TableColumn("positives").RightAligned());
        string N(double v) => double.IsNaN(v) ? "" : v.ToString("F3", CultureInfo.InvariantCulture);
        foreach (var m in outcome.Metrics)
            t.AddRow(Markup.Escape(m.Task), Markup.Escape(m.Term), N(m.Accuracy), N(m.Sensitivity), N(m.Specificity), N(m.Auc),
                m.Positives.ToString(CultureInfo.InvariantCulture));
        AnsiConsole.Write(t);
        foreach (var task in outcome.Metrics.Select(m => m.Task).Distinct())
        {
            var mine = outcome.Metrics.Where(m => m.Task == task).ToList();
            Console.WriteLine($"{task}: " + string.Join(", ", TermMetrics.Measures.Select(x =>
                $"{x.name} {TermsComparison.F(Evaluation.MeanStd.Of(mine.Select(x.value)))}")) + " (mean ± std over terms)");
        }
    }

    private static Command Evaluate()
    {
        var cmd = new Command("evaluate",
            "Table 2 figures (accuracy, sensitivity, specificity, AUC per term) of a trained model on a manifest's test split " +
            "(all its images of the model's ranges when it has no split)");
        var run = new Argument<string>("model") { Description = ModelDescription };
        var manifest = new Argument<string>("manifest") { Description = "Manifest with 'terms'" };
        cmd.Arguments.Add(run);
        cmd.Arguments.Add(manifest);
        cmd.SetAction(pr =>
        {
            TermOutcome? outcome = null;
            WithProgress(p => outcome = TermEvaluator.Evaluate(pr.GetValue(run)!, pr.GetValue(manifest)!, p));
            PrintTable(outcome!);
            Console.WriteLine($"{outcome!.Method}: mean AUC {outcome.MeanAuc:F4} over {outcome.Metrics.Count} terms");
            return 0;
        });
        return cmd;
    }

    private static Command Predict()
    {
        var cmd = new Command("predict",
            "Term scores per image (OUT) and per bag (mean of its images' scores, BAGS) for a folder or manifest of any size");
        var run = new Argument<string>("model") { Description = ModelDescription };
        var input = new Argument<string>("input")
        {
            Description = "Manifest CSV (with 'range', and 'bag' for per-bag scores) or folder of images"
        };
        var output = OutOption("Per-image CSV: path, bag, range, task, one score column per term named as the term, as " +
            "`bags evaluate --scores` reads it (bad images: OUT.failures.csv)");
        var bags = new Option<string?>("--bags") { Description = "Per-bag CSV (default OUT.bags.csv, written when images have a bag)" };
        var range = new Option<int?>("--range")
        {
            Description = "Stage range (1..6) of images that have none, e.g. a folder of 4-6 images"
        };
        var strict = DataCommands.StrictOption();
        cmd.Arguments.Add(run);
        cmd.Arguments.Add(input);
        foreach (var o in new Option[] { output, bags, range, strict }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var outFile = Path.GetFullPath(pr.GetValue(output)!);
            TermPredictor.Result? result = null;
            WithProgress(p => result = TermPredictor.PredictToCsv(pr.GetValue(run)!, pr.GetValue(input)!, outFile, pr.GetValue(bags),
                pr.GetValue(range), p));
            DataCommands.PrintSkipped("skipped", result!.Failures, result.FailuresPath);
            var summary = FailureReport.Summary("predicted", result.Written, result.Images, result.Failures.Count, result.FailuresPath);
            Console.WriteLine($"{summary} -> {outFile}");
            if (result.BagsPath is not null) Console.WriteLine($"{result.Bags} bags -> {result.BagsPath}");
            return DataCommands.StrictExit(pr.GetValue(strict), result.Failures.Count);
        });
        return cmd;
    }

    private static Command Compare()
    {
        var cmd = new Command("compare",
            "Run sc, tl, tl+mtl and tl-random (and bovw if asked) on one manifest over N seeds: comparison.json/.md (Table 2, layer " +
            "comparison) and report.html with per-term ROC curves");
        var manifest = new Argument<string>("manifest") { Description = "Manifest with 'terms' (and 'range', 'bag', 'gene')" };
        var output = OutOption("Run directory");
        var methods = new Option<string>("--methods")
        {
            Description = $"Comma-separated methods ({string.Join(", ", TermMethods.Names)})",
            DefaultValueFactory = _ => string.Join(",", TermMethods.Compared.Select(m => m.Name))
        };
        var seeds = new Option<int>("--seeds")
        {
            Description = "Repeat with seeds 1..N (new gene-grouped splits)",
            DefaultValueFactory = _ => 3
        };
        var noLayers = new Option<bool>("--no-layers") { Description = "Skip the layer comparison (the config's 'layers')" };
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted comparison" };
        cmd.Arguments.Add(manifest);
        foreach (var o in new Option[] { output, methods, seeds, noLayers, PresetOption, ConfigOption, LabelsAsTermsOption, resume })
            cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var config = ResolveConfig(pr);
            IReadOnlyList<TermMethod> list;
            try
            {
                list = TermMethods.Parse(pr.GetValue(methods)!);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"--methods: {e.Message}");
            }
            if (pr.GetValue(seeds) < 1) throw new ArgumentException("--seeds must be at least 1");
            var outDir = Path.GetFullPath(pr.GetValue(output)!);
            var data = Manifest.Load(pr.GetValue(manifest)!);
            var comparison = new TermsComparison { Log = Log };
            TermsComparison.Result? result = null;
            WithProgress(p =>
            {
                comparison.Progress = p;
                result = comparison.Run(data, config, list, pr.GetValue(seeds), !pr.GetValue(noLayers), outDir, pr.GetValue(resume));
            });
            Console.WriteLine(TermsComparison.Markdown(result!));
            Console.WriteLine($"report: {Path.Combine(outDir, "report.html")}");
            return 0;
        });
        return cmd;
    }
}
