using System.CommandLine;
using System.Globalization;
using InSitu.Data;
using InSitu.Reports;
using InSitu.Synthesis;
using InSitu.Torch;
using InSitu.Training;
using InSitu.Workflows.Stages;
using Spectre.Console;

namespace InSitu.Cli;

/// <summary>`insitu stage train|evaluate|predict|compare` and `insitu demo`: precise stage prediction.</summary>
public static class StageCommands
{
    private static readonly Option<string?> ConfigOption = new("--config")
    {
        Description = "JSON file overriding settings, e.g. {\"fine\": {\"epochs\": 20}} (the resolved config is saved as config.json)"
    };
    private static readonly Option<string> PresetOption = new("--preset")
    {
        Description = "Base settings: paper (the paper's schedule, 128x320) or demo (32x80, width 16, minutes on 2 cores)",
        DefaultValueFactory = _ => "paper"
    };

    private static readonly Option<string> EngineOption = new("--engine")
    {
        Description = "Inference engine: auto (the fused oneDNN plan where it can run, else eager libtorch), eager, or fused " +
            "(an error where it cannot run); INSITU_INFERENCE=eager forces eager",
        DefaultValueFactory = _ => "auto"
    };
    private static readonly Option<string> PrecisionOption = new("--precision")
    {
        Description = "Fused plan arithmetic: fp32 (eager's results up to rounding), bf16 or int8 (faster; the logits move; int8 " +
            "calibrates its scales on the first 4 batches)",
        DefaultValueFactory = _ => "fp32"
    };

    static StageCommands()
    {
        EngineOption.AcceptOnlyFromAmong("auto", "eager", "fused");
        PrecisionOption.AcceptOnlyFromAmong("fp32", "bf16", "int8");
    }

    private static InferenceSettings ResolveInference(ParseResult pr) => InferenceSettings.Default with
    {
        Engine = pr.GetValue(EngineOption) switch
        {
            "eager" => InferenceEngineKind.Eager,
            "fused" => InferenceEngineKind.Fused,
            _ => InferenceEngineKind.Auto,
        },
        Precision = pr.GetValue(PrecisionOption) switch
        {
            "bf16" => PlanPrecision.BFloat16,
            "int8" => PlanPrecision.Int8,
            _ => PlanPrecision.Float32,
        },
    };

    public static Command Build()
    {
        var stage = new Command("stage", "Precise developmental stage prediction (stages 4..17) from few precise and many range labels");
        stage.Subcommands.Add(Compare(single: false));
        stage.Subcommands.Add(Compare(single: true));
        stage.Subcommands.Add(Evaluate());
        stage.Subcommands.Add(Predict());
        return stage;
    }

    private static StageConfig ResolveConfig(ParseResult pr)
    {
        var baseline = pr.GetValue(PresetOption) switch
        {
            "paper" => new StageConfig(),
            "demo" => StageConfig.Demo,
            var p => throw new ArgumentException($"unknown preset '{p}': use paper or demo"),
        };
        var config = pr.GetValue(ConfigOption) is { } file ? StageConfig.Load(file, baseline) : baseline;
        config.Validate();
        return config;
    }

    private static Command Compare(bool single)
    {
        var cmd = single
            ? new Command("train",
                "Train one method (gabor, plain, data, data+feature) and write its run directory with the model and its test evaluation")
            : new Command("compare",
                "Run gabor, plain, data and data+feature on one dataset over N seeds: comparison.json/.md and report.html");
        var manifest = new Argument<string>("manifest")
        {
            Description = "Manifest CSV: images with 'stage' are the fine set, images with only 'range' the coarse set"
        };
        var output = new Option<string>("--out") { Description = "Run directory", Required = true };
        var method = new Option<string>("--method")
        {
            Description = string.Join("; ", StageMethods.All.Select(m => $"{m.Name}: {m.Description}")),
            DefaultValueFactory = _ => StageMethods.DataFeature.Name
        };
        var methods = new Option<string>("--methods")
        {
            Description = "Comma-separated methods",
            DefaultValueFactory = _ => string.Join(",", StageMethods.Names)
        };
        var seeds = new Option<int>("--seeds")
        {
            Description = "Repeat with seeds 1..N and report mean ± std",
            DefaultValueFactory = _ => 1
        };
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted run from its checkpoints" };
        cmd.Arguments.Add(manifest);
        foreach (var o in single ? new Option[] { output, method, ConfigOption, PresetOption, resume }
            : new Option[] { output, methods, seeds, ConfigOption, PresetOption, resume })
            cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var config = ResolveConfig(pr);
            var outDir = Path.GetFullPath(pr.GetValue(output)!);
            if (single)
            {
                var chosen = StageMethods.Find(pr.GetValue(method)!);
                var data = Manifest.Load(pr.GetValue(manifest)!);
                StageEvaluation? evaluation = null;
                WithProgress(progress =>
                    evaluation = StageTraining.Train(data, config, chosen, outDir, pr.GetValue(resume), progress).evaluation);
                Console.WriteLine($"{chosen}: mean per-stage accuracy {100 * evaluation!.MeanPerStageAccuracy:F2}% on the " +
                    $"test split; run: {outDir}");
                return 0;
            }
            IReadOnlyList<StageMethod> list;
            try
            {
                list = StageMethods.Parse(pr.GetValue(methods)!);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"--methods: {e.Message}");
            }
            if (pr.GetValue(seeds) < 1) throw new ArgumentException("--seeds must be at least 1");
            RunComparison(Manifest.Load(pr.GetValue(manifest)!), config, list, pr.GetValue(seeds), outDir, pr.GetValue(resume));
            return 0;
        });
        return cmd;
    }

    /// <summary>Runs <paramref name="work"/> under a progress display fed by its training progress.</summary>
    private static void WithProgress(Action<StageProgress> work) =>
        TrainingProgressDisplay.Run(report => work((phase, p) => report(phase, p)));

    internal static List<StageComparison.MethodSummary> RunComparison(Manifest manifest, StageConfig config,
        IReadOnlyList<StageMethod> methods, int seeds,
        string outDir, bool resume)
    {
        var comparison = new StageComparison { Log = m => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(m)}[/]") };
        List<StageComparison.MethodSummary>? result = null;
        WithProgress(progress =>
        {
            comparison.Progress = progress;
            result = comparison.Run(manifest, config, methods, seeds, outDir, resume);
        });
        Console.WriteLine(StageComparison.Markdown(result!, seeds));
        Console.WriteLine($"report: {Path.Combine(outDir, "report.html")}");
        return result!;
    }

    private static Command Evaluate()
    {
        var cmd = new Command("evaluate",
            "Evaluate a trained model on the precisely staged images of a manifest (its test split, if it has one)");
        var run = new Argument<string>("run") { Description = "Run directory of `insitu stage train`" };
        var manifest = new Argument<string>("manifest") { Description = "Manifest with 'stage' labels" };
        cmd.Arguments.Add(run);
        cmd.Arguments.Add(manifest);
        cmd.Options.Add(EngineOption);
        cmd.Options.Add(PrecisionOption);
        cmd.SetAction(pr =>
        {
            var eval = StageEvaluator.Evaluate(pr.GetValue(run)!, pr.GetValue(manifest)!, ResolveInference(pr), out var engine);
            var t = new Table().AddColumn("stage").AddColumn(new TableColumn("accuracy").RightAligned())
                .AddColumn(new TableColumn("images").RightAligned());
            foreach (var stage in PreciseStage.All)
            {
                int i = stage.Class;
                t.AddRow(stage.ToString(), double.IsNaN(eval.PerStageAccuracy[i]) ? "" : $"{100 * eval.PerStageAccuracy[i]:F1}%",
                    eval.PerStageCount[i].ToString(CultureInfo.InvariantCulture));
            }
            AnsiConsole.Write(t);
            Console.WriteLine($"mean per-stage accuracy {100 * eval.MeanPerStageAccuracy:F2}%, overall {100 * eval.OverallAccuracy:F2}%, " +
                $"within ±1 stage {100 * eval.WithinOneStage:F2}%, errors inside the true range {100 * eval.ErrorsInsideRange:F1}%");
            Console.WriteLine($"inference: {engine}");
            return 0;
        });
        return cmd;
    }

    private static Command Predict()
    {
        var cmd = new Command("predict",
            "Predict stages for a folder or manifest of any size, streaming to a CSV (path, stage, range, probabilities)");
        var run = new Argument<string>("run") { Description = "Run directory of `insitu stage train`" };
        var input = new Argument<string>("input") { Description = "Folder of images or manifest CSV" };
        var output = new Option<string>("--out")
        {
            Description = "CSV to write (bad images are skipped and listed in OUT.failures.csv)",
            Required = true,
        };
        var strict = DataCommands.StrictOption();
        cmd.Arguments.Add(run);
        cmd.Arguments.Add(input);
        cmd.Options.Add(output);
        cmd.Options.Add(strict);
        cmd.Options.Add(EngineOption);
        cmd.Options.Add(PrecisionOption);
        cmd.SetAction(pr =>
        {
            var outFile = Path.GetFullPath(pr.GetValue(output)!);
            var result = StagePredictor.PredictToCsv(pr.GetValue(run)!, pr.GetValue(input)!, outFile, ResolveInference(pr));
            DataCommands.PrintSkipped("skipped", result.Failures, result.FailuresPath);
            var summary = FailureReport.Summary("predicted", result.Written, result.Images, result.Failures.Count, result.FailuresPath);
            AnsiConsole.MarkupLine($"{Markup.Escape(summary)} -> {Markup.Escape(outFile)}");
            Console.WriteLine($"inference: {result.Engine}");
            return DataCommands.StrictExit(pr.GetValue(strict), result.Failures.Count);
        });
        return cmd;
    }

    /// <summary>`insitu demo`: simulate a BDGP-like dataset and compare the four methods over 3 seeds.</summary>
    public static Command Demo()
    {
        var cmd = new Command("demo",
            "Simulate a BDGP-like dataset (coarse set 10x the fine set) and compare gabor, plain, data and data+feature over 3 seeds; " +
            "writes runs/demo/report.html");
        var outDir = new Option<string>("--out") { Description = "Run directory", DefaultValueFactory = _ => "runs/demo" };
        var seeds = new Option<int>("--seeds") { Description = "Seeds", DefaultValueFactory = _ => 3 };
        var perStage = new Option<int>("--per-stage")
        {
            Description = "Precisely labelled images per stage 4..17",
            DefaultValueFactory = _ => 40
        };
        var factor = new Option<int>("--coarse-factor")
        {
            Description = "Range-labelled images per precisely labelled one",
            DefaultValueFactory = _ => 10
        };
        var tables = new Option<string?>("--tables")
        {
            Description = "BDGP label tables folder (default: $INSITU_BDGP_TABLES or ../shared/data/bdgp-annotations)"
        };
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted demo" };
        foreach (var o in new Option[] { outDir, seeds, perStage, factor, tables, resume, ConfigOption }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            if (pr.GetValue(seeds) < 1) throw new ArgumentException("--seeds must be at least 1");
            if (pr.GetValue(perStage) < 6)
                throw new ArgumentException("--per-stage must be at least 6 (train, validation and test need images of every stage)");
            if (pr.GetValue(factor) < 1) throw new ArgumentException("--coarse-factor must be at least 1");
            // every argument is checked before the first image is simulated: a bad --config must not cost the simulation
            var config = pr.GetValue(ConfigOption) is { } file ? StageConfig.Load(file, StageConfig.Demo) : StageConfig.Demo;
            var labels = BdgpLabelTables.LoadOrFind(pr.GetValue(tables));
            var dir = Path.GetFullPath(pr.GetValue(outDir)!);
            var demo = new StageDemo(pr.GetValue(perStage), pr.GetValue(factor));
            Manifest? manifest = null;
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn()).Start(ctx =>
            {
                var task = ctx.AddTask("simulating the dataset", maxValue: demo.Images);
                manifest = demo.Simulate(labels, Path.Combine(dir, "data"), n => task.Value = n);
            });
            RunComparison(manifest!, config, StageMethods.All, pr.GetValue(seeds), dir, pr.GetValue(resume));
            return 0;
        });
        return cmd;
    }
}
