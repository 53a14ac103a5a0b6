using System.CommandLine;
using System.Globalization;
using InSitu.Data;
using InSitu.Workflows.Bags;
using Spectre.Console;

namespace InSitu.Cli;

/// <summary>`insitu bags train|evaluate|predict|ablate`: CV-term annotation of gene-stage bags (METHODS.md section 5).</summary>
public static class BagsCommands
{
    private static readonly Option<string?> ConfigOption = new("--config")
    {
        Description = "JSON file overriding settings, e.g. {\"cnn\": {\"epochs\": 20}, \"backbone\": \"resnet\"} (the resolved config " +
            "is saved as config.json)"
    };
    private static readonly Option<string> PresetOption = new("--preset")
    {
        Description = "Base settings: paper (112x336, the paper's epochs) or demo (40x120, 6 CNN epochs: minutes on 2 cores)",
        DefaultValueFactory = _ => "paper"
    };
    private static readonly Option<string?> TermsOption = new("--terms")
    {
        Description = "Attribute vocabulary, one term per line (line 1 = label 0): the attributes in this order, and numeric " +
            "labels in the manifest name its terms; default: the --attributes most frequent terms of the training bags"
    };
    private static readonly Option<int?> AttributesOption = new("--attributes")
    {
        Description = "How many of the most frequent terms to predict (default 30)"
    };

    static BagsCommands()
    {
        PresetOption.AcceptOnlyFromAmong("paper", "demo");
    }

    public static Command Build()
    {
        var bags = new Command("bags", "Annotate gene-stage bags (all images of a gene in a stage range) with CV terms: CNN + BiLSTM");
        bags.Subcommands.Add(Train());
        bags.Subcommands.Add(Evaluate());
        bags.Subcommands.Add(Predict());
        bags.Subcommands.Add(Ablate());
        return bags;
    }

    private static BagConfig ResolveConfig(ParseResult pr)
    {
        var baseline = pr.GetValue(PresetOption) == "demo" ? BagConfig.Demo : new BagConfig();
        var config = pr.GetValue(ConfigOption) is { } file ? BagConfig.Load(file, baseline) : baseline;
        if (pr.GetValue(AttributesOption) is { } n)
        {
            if (n < 1) throw new ArgumentException("--attributes must be at least 1");
            config = config with { Attributes = n };
        }
        config.Validate();
        return config;
    }

    private static TermVocabulary? Vocabulary(ParseResult pr) => pr.GetValue(TermsOption) is { } file ? TermVocabulary.Load(file) : null;

    private static Command Train()
    {
        var cmd = new Command("train",
            "Train the bag method on one seed: warm-up, per-image CNN, BiLSTM over each bag's features, thresholds on validation; " +
            "writes the model, its test evaluation and failures.csv into the run directory");
        var manifest = new Argument<string>("manifest")
        {
            Description = "Manifest CSV with 'bag' (or 'gene' and 'range') and 'terms'; 'split' optional (else 45/5/50 of the bags, " +
                "grouped by gene)"
        };
        var output = new Option<string>("--out") { Description = "Run directory", Required = true };
        var seed = new Option<int>("--seed") { Description = "Seed of the split and the initialisation", DefaultValueFactory = _ => 1 };
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted run from its checkpoints" };
        cmd.Arguments.Add(manifest);
        foreach (var o in new Option[] { output, seed, ConfigOption, PresetOption, TermsOption, AttributesOption, resume })
            cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var config = ResolveConfig(pr);
            var vocabulary = Vocabulary(pr);
            var data = Manifest.Load(pr.GetValue(manifest)!);
            var outDir = Path.GetFullPath(pr.GetValue(output)!);
            BagRunSummary? summary = null;
            WithProgress(progress => summary = BagRun.Train(data, config, outDir, pr.GetValue(seed), vocabulary, pr.GetValue(resume),
                progress));
            PrintData(summary!);
            var outcome = summary!.Outcome;
            foreach (var e in new[] { outcome.BagModel, outcome.CnnMean }.OfType<BagEvaluation>())
                Console.WriteLine(Line(e));
            Console.WriteLine($"model: {outcome.ModelFile}");
            return 0;
        });
        return cmd;
    }

    private static Command Evaluate()
    {
        var cmd = new Command("evaluate",
            "Score a trained model on a manifest's test bags (its split column, else the run's own test bags, else all), and, with " +
            "--scores, other methods' per-bag or per-image probabilities on the same bags with the same metrics: one table");
        var run = new Argument<string>("run") { Description = "Run directory of `insitu bags train`" };
        var manifest = new Argument<string>("manifest")
        {
            Description = "Manifest with bags and terms (the training manifest for its test bags)"
        };
        var scores = new Option<string[]>("--scores")
        {
            Description = "NAME=CSV (or CSV): probabilities of another method, one row per bag ('bag' column) or per image ('path' " +
                "column, averaged per bag), one column per attribute named as in model.json; repeatable",
            AllowMultipleArgumentsPerToken = true,
        };
        var output = new Option<string?>("--out") { Description = "Also write the evaluations as JSON to this file" };
        cmd.Arguments.Add(run);
        cmd.Arguments.Add(manifest);
        foreach (var o in new Option[] { scores, output, TermsOption }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var external = (pr.GetValue(scores) ?? Array.Empty<string>()).Select(s =>
            {
                int eq = s.IndexOf('=', StringComparison.Ordinal);
                return eq > 0 ? (s[..eq], s[(eq + 1)..]) : (Path.GetFileNameWithoutExtension(s), s);
            }).ToList();
            var report = BagEvaluator.Evaluate(pr.GetValue(run)!, Manifest.Load(pr.GetValue(manifest)!), Vocabulary(pr), external);
            Console.WriteLine($"test bags: {report.Bags}");
            var t = new Table().AddColumn("method").AddColumn(new TableColumn("bags").RightAligned())
                .AddColumn(new TableColumn("AUC (samples)").RightAligned()).AddColumn(new TableColumn("AUC (macro)").RightAligned())
                .AddColumn(new TableColumn("macro F1").RightAligned()).AddColumn(new TableColumn("sample F1").RightAligned());
            foreach (var e in report.Evaluations)
                t.AddRow(Markup.Escape(e.Model), e.TestBags.ToString(CultureInfo.InvariantCulture), F(e.Scores.AucSamples),
                    F(e.Scores.AucMacro), F(e.Scores.F1Macro), F(e.Scores.F1Samples));
            AnsiConsole.Write(t);
            foreach (var n in report.Notes) Console.WriteLine($"note: {n}");
            if (pr.GetValue(output) is { } file) Torch.AtomicFile.WriteText(Path.GetFullPath(file), Common.JsonSettings.Serialize(report));
            return 0;
        });
        return cmd;
    }

    private static string F(double v) => double.IsNaN(v) ? "" : v.ToString("F4", CultureInfo.InvariantCulture);

    private static Command Predict()
    {
        var cmd = new Command("predict",
            "Predict the attributes of every bag of a manifest: OUT.csv with bag, range, images, the decided terms and each " +
            "attribute's probability; unreadable images are skipped and listed in OUT.failures.csv");
        var run = new Argument<string>("run") { Description = "Run directory of `insitu bags train`" };
        var manifest = new Argument<string>("manifest") { Description = "Manifest with 'bag' (or 'gene' and 'range'); terms not needed" };
        var output = new Option<string>("--out") { Description = "CSV to write", Required = true };
        var strict = DataCommands.StrictOption();
        cmd.Arguments.Add(run);
        cmd.Arguments.Add(manifest);
        foreach (var o in new Option[] { output, TermsOption, strict }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var outFile = Path.GetFullPath(pr.GetValue(output)!);
            var result = BagPredictor.Predict(pr.GetValue(run)!, Manifest.Load(pr.GetValue(manifest)!), outFile, Vocabulary(pr));
            Console.WriteLine($"predicted {result.Bags} bags from {result.Images} images; {result.Skipped} unreadable image(s) skipped, " +
                $"{result.DroppedBags} bag(s) without a readable image left out{(result.Skipped + result.DroppedBags > 0
                    ? $", listed in {result.FailuresPath}" : "")} -> {outFile}");
            return DataCommands.StrictExit(pr.GetValue(strict), result.Skipped + result.DroppedBags);
        });
        return cmd;
    }

    private static Command Ablate()
    {
        var cmd = new Command("ablate",
            "Rerun the method with one component off at a time, plus the CNN-only rule (mean of image probabilities per bag), " +
            "over N seeds: ablation.json/.md and report.html (table with mean ± std, per-attribute F1 bars)");
        var manifest = new Argument<string>("manifest") { Description = "Manifest CSV with bags and terms" };
        var output = new Option<string>("--out") { Description = "Run directory", Required = true };
        var seeds = new Option<int>("--seeds") { Description = "Seeds 1..N (split and initialisation)", DefaultValueFactory = _ => 3 };
        var variants = new Option<string>("--variants")
        {
            Description = "Comma-separated variants: " + string.Join(", ", BagVariants.Names) + " (full is always run)",
            DefaultValueFactory = _ => string.Join(",", BagVariants.Names),
        };
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted ablation from its checkpoints" };
        cmd.Arguments.Add(manifest);
        foreach (var o in new Option[] { output, seeds, variants, ConfigOption, PresetOption, TermsOption, AttributesOption, resume })
            cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            if (pr.GetValue(seeds) < 1) throw new ArgumentException("--seeds must be at least 1");
            IReadOnlyList<BagVariant> list;
            try
            {
                list = BagVariants.Parse(pr.GetValue(variants)!);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"--variants: {e.Message}");
            }
            var config = ResolveConfig(pr);
            var vocabulary = Vocabulary(pr);
            var data = Manifest.Load(pr.GetValue(manifest)!);
            var outDir = Path.GetFullPath(pr.GetValue(output)!);
            var ablation = new BagAblation { Log = m => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(m)}[/]") };
            List<VariantSummary>? result = null;
            WithProgress(progress =>
            {
                ablation.Progress = progress;
                result = ablation.Run(data, config, list, pr.GetValue(seeds), outDir, vocabulary, pr.GetValue(resume));
            });
            Console.WriteLine(BagAblation.Markdown(result!, pr.GetValue(seeds)));
            Console.WriteLine($"report: {Path.Combine(outDir, "report.html")}");
            return 0;
        });
        return cmd;
    }

    internal static string Line(BagEvaluation e) => string.Create(CultureInfo.InvariantCulture,
        $"{e.Model}: test bags {e.TestBags}: AUC {e.Scores.AucSamples:F4} (samples) {e.Scores.AucMacro:F4} (macro), " +
        $"macro F1 {e.Scores.F1Macro:F4}, sample F1 {e.Scores.F1Samples:F4}");

    private static void PrintData(BagRunSummary s)
    {
        Console.WriteLine($"bags: {s.TrainBags} train, {s.ValidationBags} validation, {s.TestBags} test; {s.Attributes} attributes" +
            (s.SplitBags > 0 ? $"; {s.SplitBags} bag(s) longer than max_bag_size split into parts" : ""));
        if (s.SkippedImages.Count > 0 || s.DroppedBags.Count > 0)
            Console.Error.WriteLine($"warning: {s.SkippedImages.Count} unreadable image(s) skipped, {s.DroppedBags.Count} bag(s) dropped " +
                $"(none of their images readable); listed in {s.FailuresFile}");
    }

    /// <summary>Runs <paramref name="work"/> under a progress display fed by its training progress.</summary>
    private static void WithProgress(Action<BagProgress> work) =>
        TrainingProgressDisplay.Run(report => work((phase, p) => report(phase, p)));
}
