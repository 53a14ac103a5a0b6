using System.CommandLine;
using System.Globalization;
using InSitu.Data;
using InSitu.Evaluation;
using InSitu.Reports;
using InSitu.Stages;
using InSitu.Synthesis;
using InSitu.Torch;
using InSitu.Training;
using Spectre.Console;

namespace InSitu.Cli;

/// <summary>`insitu stage train|evaluate|predict|compare` and `insitu demo`: precise stage prediction.</summary>
public static class StageCommands
{
    private static readonly Option<string?> ConfigOption = new("--config") { Description = "JSON file overriding settings, e.g. {\"fine\": {\"epochs\": 20}} (the resolved config is saved as config.json)" };
    private static readonly Option<string> PresetOption = new("--preset") { Description = "Base settings: paper (the paper's schedule, 128x320) or demo (32x80, width 16, minutes on 2 cores)", DefaultValueFactory = _ => "paper" };

    public static Command Build(Func<Func<int>, int> guard)
    {
        var stage = new Command("stage", "Precise developmental stage prediction (stages 4..17) from few precise and many range labels");
        stage.Subcommands.Add(Compare(guard, single: false));
        stage.Subcommands.Add(Compare(guard, single: true));
        stage.Subcommands.Add(Evaluate(guard));
        stage.Subcommands.Add(Predict(guard));
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

    private static Command Compare(Func<Func<int>, int> guard, bool single)
    {
        var cmd = single
            ? new Command("train", "Train one method (gabor, plain, data, data+feature) and write its run directory with the model and its test evaluation")
            : new Command("compare", "Run gabor, plain, data and data+feature on one dataset over N seeds: comparison.json/.md and report.html");
        var manifest = new Argument<string>("manifest") { Description = "Manifest CSV: images with 'stage' are the fine set, images with only 'range' the coarse set" };
        var output = new Option<string>("--out") { Description = "Run directory", Required = true };
        var method = new Option<string>("--method") { Description = "gabor, plain, data or data+feature", DefaultValueFactory = _ => "data+feature" };
        var methods = new Option<string>("--methods") { Description = "Comma-separated methods", DefaultValueFactory = _ => string.Join(",", StageMethods.Names) };
        var seeds = new Option<int>("--seeds") { Description = "Repeat with seeds 1..N and report mean ± std", DefaultValueFactory = _ => 1 };
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted run from its checkpoints" };
        cmd.Arguments.Add(manifest);
        foreach (var o in single ? new Option[] { output, method, ConfigOption, PresetOption, resume } : new Option[] { output, methods, seeds, ConfigOption, PresetOption, resume })
            cmd.Options.Add(o);
        cmd.SetAction(pr => guard(() =>
        {
            var config = ResolveConfig(pr);
            var list = single ? new[] { pr.GetValue(method)! } : pr.GetValue(methods)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var outDir = Path.GetFullPath(pr.GetValue(output)!);
            var summaries = RunComparison(Manifest.Load(pr.GetValue(manifest)!), config, list, single ? 1 : pr.GetValue(seeds), outDir, pr.GetValue(resume));
            if (single && list[0] != "gabor")
                new RunDirectory(outDir).WriteJson("model.json", new StageModelInfo(list[0], config, Path.Combine("seed-1", $"{StageMethods.Slug(list[0])}.model.pt")));
            return 0;
        }));
        return cmd;
    }

    internal static List<StageComparison.MethodSummary> RunComparison(Manifest manifest, StageConfig config, IReadOnlyList<string> methods, int seeds, string outDir, bool resume)
    {
        var comparison = new StageComparison { Log = m => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(m)}[/]") };
        List<StageComparison.MethodSummary>? result = null;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                ProgressTask? task = null;
                string current = "";
                comparison.Progress = (phase, epoch, epochs, batch, batches, loss, acc, ips) =>
                {
                    if (phase != current || task is null)
                    {
                        task?.StopTask();
                        task = ctx.AddTask(phase, maxValue: epochs * batches);
                        current = phase;
                    }
                    task.Value = (epoch - 1) * batches + batch;
                    task.Description = $"{phase} epoch {epoch}/{epochs} loss {loss:F3} acc {100 * acc:F0}% {ips:F0} img/s";
                };
                result = comparison.Run(manifest, config, methods, seeds, outDir, resume);
                task?.StopTask();
            });
        Console.WriteLine(StageComparison.Markdown(result!, seeds));
        Console.WriteLine($"report: {Path.Combine(outDir, "report.html")}");
        return result!;
    }

    private static Command Evaluate(Func<Func<int>, int> guard)
    {
        var cmd = new Command("evaluate", "Evaluate a trained model on the precisely staged images of a manifest (its test split, if it has one)");
        var run = new Argument<string>("run") { Description = "Run directory of `insitu stage train`" };
        var manifest = new Argument<string>("manifest") { Description = "Manifest with 'stage' labels" };
        cmd.Arguments.Add(run);
        cmd.Arguments.Add(manifest);
        cmd.SetAction(pr => guard(() =>
        {
            var (net, info) = StageModelInfo.Load(pr.GetValue(run)!);
            using var _ = net;
            var m = Manifest.Load(pr.GetValue(manifest)!);
            bool hasTest = m.Rows.Any(r => r.Split == "test");
            var rows = Enumerable.Range(0, m.Rows.Count).Where(i => m.Rows[i].Stage is >= 4 and <= 17 && (!hasTest || m.Rows[i].Split == "test")).ToList();
            if (rows.Count == 0) throw new InvalidDataException($"'{pr.GetValue(manifest)}' has no images with a precise stage 4..17 to evaluate on");
            var (x, y) = StageData.LoadTensors(m, info.Config.Loader(), rows, r => r.Stage!.Value - 4);
            using (x)
            using (y)
            {
                var eval = StageEvaluation.Of(ClassifierTrainer.Predict(net, x, 64), y.ToLongArray());
                new RunDirectory(pr.GetValue(run)!).WriteJson("evaluation.json", eval);
                var t = new Table().AddColumn("stage").AddColumn(new TableColumn("accuracy").RightAligned()).AddColumn(new TableColumn("images").RightAligned());
                for (int i = 0; i < 14; i++)
                    t.AddRow((i + 4).ToString(CultureInfo.InvariantCulture), double.IsNaN(eval.PerStageAccuracy[i]) ? "" : $"{100 * eval.PerStageAccuracy[i]:F1}%", eval.PerStageCount[i].ToString(CultureInfo.InvariantCulture));
                AnsiConsole.Write(t);
                Console.WriteLine($"mean per-stage accuracy {100 * eval.MeanPerStageAccuracy:F2}%, overall {100 * eval.OverallAccuracy:F2}%, within ±1 stage {100 * eval.WithinOneStage:F2}%, errors inside the true range {100 * eval.ErrorsInsideRange:F1}%");
            }
            return 0;
        }));
        return cmd;
    }

    private static Command Predict(Func<Func<int>, int> guard)
    {
        var cmd = new Command("predict", "Predict stages for a folder or manifest of any size, streaming to a CSV (path, stage, range, probabilities)");
        var run = new Argument<string>("run") { Description = "Run directory of `insitu stage train`" };
        var input = new Argument<string>("input") { Description = "Folder of images or manifest CSV" };
        var output = new Option<string>("--out") { Description = "CSV to write", Required = true };
        cmd.Arguments.Add(run);
        cmd.Arguments.Add(input);
        cmd.Options.Add(output);
        cmd.SetAction(pr => guard(() =>
        {
            var (net, info) = StageModelInfo.Load(pr.GetValue(run)!);
            using var _ = net;
            var source = pr.GetValue(input)!;
            var m = ImageInputs.Load(new[] { source });
            if (m.Rows.Count == 0) throw new InvalidDataException($"no images in '{source}'");
            var loader = new ImageBatchLoader(m, info.Config.Loader());
            var outFile = Path.GetFullPath(pr.GetValue(output)!);
            var tmp = outFile + ".tmp";
            int written = 0;
            net.Eval();
            net.FuseForInference();
            try
            {
                using (var writer = new StreamWriter(tmp))
                using (Autograd.InferenceMode())
                {
                    writer.WriteLine("path,stage,range," + string.Join(",", Enumerable.Range(4, 14).Select(s => $"p{s}")));
                    // batches stream through: memory stays bounded by the loader's prefetch, whatever the input size
                    foreach (var batch in loader.Epoch(0))
                        using (batch)
                        using (var scope = TorchRuntime.NewDisposeScope())
                        {
                            var p = net.Forward(batch.Images).Softmax(1).ToFloatArray();
                            for (int i = 0; i < batch.Rows.Length; i++)
                            {
                                var probs = p.AsSpan(i * 14, 14).ToArray();
                                int best = Array.IndexOf(probs, probs.Max()) + 4;
                                writer.WriteLine(Csv.Line(new[] { m.FullPath(m.Rows[batch.Rows[i]]), best.ToString(CultureInfo.InvariantCulture), StageRanges.Of(best).ToString(CultureInfo.InvariantCulture) }
                                    .Concat(probs.Select(v => v.ToString("F5", CultureInfo.InvariantCulture)))));
                                written++;
                            }
                        }
                }
            }
            catch
            {
                File.Delete(tmp); // no half-written predictions left behind
                throw;
            }
            File.Move(tmp, outFile, overwrite: true);
            AnsiConsole.MarkupLine($"predicted {written} images -> {Markup.Escape(outFile)}");
            return 0;
        }));
        return cmd;
    }

    /// <summary>`insitu demo`: simulate a BDGP-like dataset and compare the four methods over 3 seeds.</summary>
    public static Command Demo(Func<Func<int>, int> guard)
    {
        var cmd = new Command("demo", "Simulate a BDGP-like dataset (coarse set 10x the fine set) and compare gabor, plain, data and data+feature over 3 seeds; writes runs/demo/report.html");
        var outDir = new Option<string>("--out") { Description = "Run directory", DefaultValueFactory = _ => "runs/demo" };
        var seeds = new Option<int>("--seeds") { Description = "Seeds", DefaultValueFactory = _ => 3 };
        var perStage = new Option<int>("--per-stage") { Description = "Precisely labelled images per stage 4..17", DefaultValueFactory = _ => 40 };
        var factor = new Option<int>("--coarse-factor") { Description = "Range-labelled images per precisely labelled one", DefaultValueFactory = _ => 10 };
        var tables = new Option<string?>("--tables") { Description = "BDGP label tables folder (default: $INSITU_BDGP_TABLES or ../shared/data/bdgp-annotations)" };
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted demo" };
        foreach (var o in new Option[] { outDir, seeds, perStage, factor, tables, resume, ConfigOption }) cmd.Options.Add(o);
        cmd.SetAction(pr => guard(() =>
        {
            if (pr.GetValue(perStage) < 6) throw new ArgumentException("--per-stage must be at least 6 (train, validation and test need images of every stage)");
            if (pr.GetValue(factor) < 1) throw new ArgumentException("--coarse-factor must be at least 1");
            var labels = BdgpLabelTables.LoadOrFind(pr.GetValue(tables));
            var dir = Path.GetFullPath(pr.GetValue(outDir)!);
            var demo = new StageDemo(pr.GetValue(perStage), pr.GetValue(factor));
            var config = pr.GetValue(ConfigOption) is { } file ? StageConfig.Load(file, StageConfig.Demo) : StageConfig.Demo;
            Manifest? manifest = null;
            AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn()).Start(ctx =>
            {
                var task = ctx.AddTask("simulating the dataset", maxValue: demo.Images);
                manifest = demo.Simulate(labels, Path.Combine(dir, "data"), n => task.Value = n);
            });
            RunComparison(manifest!, config, StageMethods.Names, pr.GetValue(seeds), dir, pr.GetValue(resume));
            return 0;
        }));
        return cmd;
    }
}
