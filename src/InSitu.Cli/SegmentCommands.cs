using System.CommandLine;
using System.Globalization;
using InSitu.Data;
using InSitu.Synthesis;
using InSitu.Training;
using InSitu.Workflows.Segmentation;
using Spectre.Console;

namespace InSitu.Cli;

/// <summary>`insitu segment train|predict|suggest|evaluate|simulate|synth`: segmentation from a handful of annotated patches.</summary>
public static class SegmentCommands
{
    public static Command Build()
    {
        var segment = new Command("segment",
            "Segmentation from a few partially annotated patches: a recurrent U-Net, active annotation, tiled inference");
        segment.Subcommands.Add(Train());
        segment.Subcommands.Add(Predict());
        segment.Subcommands.Add(Suggest());
        segment.Subcommands.Add(Evaluate());
        segment.Subcommands.Add(Simulate());
        segment.Subcommands.Add(Synth());
        return segment;
    }

    private static readonly Option<string?> ConfigOption = new("--config")
    {
        Description = "JSON file overriding settings, e.g. {\"training\": {\"epochs\": 20}, \"steps\": 3} (the resolved config is " +
            "saved as config.json)"
    };
    private static readonly Option<string> PresetOption = new("--preset")
    {
        Description = "Base settings: default (128-pixel patches, width 16) or demo (64-pixel patches, width 8, short training)",
        DefaultValueFactory = _ => "default"
    };

    private static SegmentationConfig ResolveConfig(ParseResult pr)
    {
        var baseline = SegmentationConfig.Preset(pr.GetValue(PresetOption)!);
        var config = pr.GetValue(ConfigOption) is { } file ? SegmentationConfig.Load(file, baseline) : baseline;
        config.Validate();
        return config;
    }

    private static Command Train()
    {
        var cmd = new Command("train",
            "Train the recurrent U-Net on partially annotated images; writes the model, checkpoints and report.html into --out");
        var images = new Argument<string>("images") { Description = "An image, or a folder of images" };
        var labels = new Argument<string>("labels")
        {
            Description = "Its label image, or a folder of label images with the images' names: grey or indexed PNGs of class numbers " +
                "(255 = not annotated), or colour PNGs with --palette"
        };
        var outDir = new Option<string>("--out") { Description = "Run directory", Required = true };
        var palette = new Option<string?>("--palette")
        {
            Description = "JSON palette of colour label images: {\"classes\": [{\"name\": \"bg\", \"color\": \"#0000ff\"}, ...], " +
                "\"unlabelled\": \"#000000\"}"
        };
        var classes = new Option<int?>("--classes")
        {
            Description = "Number of classes (default: the palette's, or the largest label + 1)"
        };
        var valImages = new Option<string?>("--val-images")
        {
            Description = "Held-out annotated images for early stopping and backtracking"
        };
        var valLabels = new Option<string?>("--val-labels") { Description = "Their label images" };
        var seed = new Option<int>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 1 };
        var init = new Option<string?>("--init") { Description = "Start from this model (run directory) instead of random weights" };
        var scale = new Option<float?>("--scale") { Description = "Work at this scale of the images (e.g. 0.5), overriding the config" };
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted run from its checkpoints" };
        cmd.Arguments.Add(images);
        cmd.Arguments.Add(labels);
        foreach (var o in new Option[] { outDir, palette, classes, valImages, valLabels, seed, init, scale, ConfigOption,
            PresetOption, resume })
            cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var config = ResolveConfig(pr);
            if (pr.GetValue(classes) is { } k) config = config with { Classes = k };
            if (pr.GetValue(scale) is { } sc) config = config with { Scale = sc };
            config.Validate();
            var (pairs, unlabelled) = SegmentationInputs.Pairs(pr.GetValue(images)!, pr.GetValue(labels)!);
            List<PatchPair>? validation = null;
            if (pr.GetValue(valImages) is { } vi)
                validation = SegmentationInputs.Pairs(vi, pr.GetValue(valLabels)
                    ?? throw new ArgumentException("--val-images needs --val-labels")).Pairs;
            else if (pr.GetValue(valLabels) is not null) throw new ArgumentException("--val-labels needs --val-images");
            var request = new SegmentationTrainRequest
            {
                Pairs = pairs,
                Validation = validation,
                OutDir = Path.GetFullPath(pr.GetValue(outDir)!),
                Config = config,
                Palette = pr.GetValue(palette) is { } pf ? LabelPalette.Load(pf) : null,
                Seed = pr.GetValue(seed),
                Resume = pr.GetValue(resume),
                InitialModel = pr.GetValue(init),
            };
            if (unlabelled.Count > 0) Console.WriteLine($"{unlabelled.Count} image(s) without a label image are left out");
            SegmentationTrainResult? result = null;
            WithProgress("training", report => result = SegmentationTraining.Train(request, report));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"best epoch {result!.BestEpoch} of {result.History.Count}: validation loss {result.BestValidationLoss:F4}, " +
                $"mean IoU {result.BestValidationMeanIou:F3} on {result.ValidationPatches} held-out patch(es); model: {result.ModelPath}"));
            Console.WriteLine($"report: {result.Report}");
            return 0;
        });
        return cmd;
    }

    private static Command Predict()
    {
        var cmd = new Command("predict",
            "Segment images of any size with overlapping blended tiles: per image a label PNG, a 16-bit probability PNG per class and " +
            "uncertainty maps, plus report.html");
        var run = new Argument<string>("model") { Description = "Run directory of `insitu segment train` (or its model.json)" };
        var input = new Argument<string>("images") { Description = "An image or a folder of images" };
        var outDir = new Option<string>("--out") { Description = "Output folder", Required = true };
        var mc = new Option<int>("--mc")
        {
            Description = "MC-dropout samples per tile (adds the disagreement map; 0 = one deterministic pass)",
            DefaultValueFactory = _ => 0
        };
        var tile = new Option<int?>("--tile") { Description = "Tile size in pixels at the model's scale (default: the model's tile_size)" };
        var strict = DataCommands.StrictOption();
        cmd.Arguments.Add(run);
        cmd.Arguments.Add(input);
        foreach (var o in new Option[] { outDir, mc, tile, strict }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            if (pr.GetValue(mc) is < 0 or > 100) throw new ArgumentException("--mc must be 0..100");
            TileOptions? tiles = null;
            if (pr.GetValue(tile) is { } t)
            {
                using var probe = SegmentationModel.Load(pr.GetValue(run)!);
                tiles = probe.Config.Tiles with { TileSize = t };
                tiles.Validate();
            }
            var options = new PredictOptions { McSamples = pr.GetValue(mc), Tiles = tiles };
            var result = SegmentationBatchPredict.Run(pr.GetValue(run)!, pr.GetValue(input)!,
                Path.GetFullPath(pr.GetValue(outDir)!), options,
                (i, n, path) => Console.Error.WriteLine($"[{i + 1}/{n}] {Path.GetFileName(path)}"));
            DataCommands.PrintSkipped("skipped", result.Failures, result.FailuresPath);
            Console.WriteLine(FailureReport.Summary("predicted", result.Predicted.Count, result.Images, result.Failures.Count,
                result.FailuresPath));
            Console.WriteLine($"report: {result.Report}");
            return DataCommands.StrictExit(pr.GetValue(strict), result.Failures.Count);
        });
        return cmd;
    }

    private static readonly Option<string> RuleOption = new("--rule")
    {
        Description = "How to rank unannotated patches: entropy (mean predictive entropy), margin (closest to a tie between the two " +
            "leading classes) or disagreement (MC-dropout mutual information)",
        DefaultValueFactory = _ => "entropy"
    };

    static SegmentCommands() => RuleOption.AcceptOnlyFromAmong("entropy", "margin", "disagreement");

    private static UncertaintyRule Rule(ParseResult pr) => Common.EnumNames.Parse<UncertaintyRule>(pr.GetValue(RuleOption)!);

    private static Command Suggest()
    {
        var cmd = new Command("suggest",
            "Score every unannotated patch of the images by entropy, margin and MC-dropout disagreement and propose the next one " +
            "to annotate (an image and a rectangle): suggestions.json and report.html");
        var run = new Argument<string>("model") { Description = "Run directory of `insitu segment train`" };
        var images = new Argument<string>("images") { Description = "An image or a folder of images" };
        var labels = new Option<string?>("--labels")
        {
            Description = "The current label image(s) (file or folder, same names): patches holding an annotated pixel are not proposed"
        };
        var outDir = new Option<string>("--out") { Description = "Output folder", Required = true };
        var count = new Option<int>("--count") { Description = "How many of the best patches to list", DefaultValueFactory = _ => 5 };
        var patch = new Option<int>("--patch") { Description = "Patch side in image pixels (default: the model's training patch)" };
        var mc = new Option<int?>("--mc") { Description = "MC-dropout samples (default: the model's mc_samples)" };
        cmd.Arguments.Add(run);
        cmd.Arguments.Add(images);
        foreach (var o in new Option[] { labels, outDir, RuleOption, count, patch, mc }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            using var model = SegmentationModel.Load(pr.GetValue(run)!);
            List<(string, string?)> inputs;
            if (pr.GetValue(labels) is { } l)
            {
                var (pairs, unlabelled) = SegmentationInputs.Pairs(pr.GetValue(images)!, l);
                inputs = pairs.Select(p => (p.Image, p.Mask)).Concat(unlabelled.Select(u => (u, (string?)null))).ToList();
            }
            else inputs = SegmentationInputs.Images(pr.GetValue(images)!).Select(i => (i, (string?)null)).ToList();
            var options = new SuggestOptions
            {
                Rule = Rule(pr),
                Count = pr.GetValue(count),
                PatchSize = pr.GetValue(patch),
                McSamples = pr.GetValue(mc)
            };
            var result = PatchSuggester.Suggest(model, inputs, options);
            var report = PatchSuggester.Write(model, result, Path.GetFullPath(pr.GetValue(outDir)!));
            var b = result.Best;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"next patch: {b.Image} x={b.X} y={b.Y} {b.Width}x{b.Height} (entropy {b.Entropy:F4}, margin {b.Margin:F4}, " +
                $"disagreement {b.Disagreement:F4}; {result.Candidates} candidates)"));
            Console.WriteLine($"report: {report}");
            return 0;
        });
        return cmd;
    }

    private static Command Evaluate()
    {
        var cmd = new Command("evaluate",
            "IoU and Dice per class of a model's predictions against label images (unlabelled pixels left out)");
        var run = new Argument<string>("model") { Description = "Run directory of `insitu segment train`" };
        var images = new Argument<string>("images") { Description = "An image or a folder of images" };
        var truth = new Argument<string>("labels") { Description = "Its label image or a folder of label images with the same names" };
        var outDir = new Option<string>("--out") { Description = "Output folder (evaluation.json, report.html)", Required = true };
        var palette = new Option<string?>("--palette") { Description = "JSON palette of colour label images" };
        var mc = new Option<int>("--mc") { Description = "MC-dropout samples (0: one deterministic pass)", DefaultValueFactory = _ => 0 };
        cmd.Arguments.Add(run);
        cmd.Arguments.Add(images);
        cmd.Arguments.Add(truth);
        foreach (var o in new Option[] { outDir, palette, mc }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var (pairs, _) = SegmentationInputs.Pairs(pr.GetValue(images)!, pr.GetValue(truth)!);
            var result = SegmentationEvaluator.Evaluate(pr.GetValue(run)!, pairs, Path.GetFullPath(pr.GetValue(outDir)!),
                pr.GetValue(palette) is { } pf ? LabelPalette.Load(pf) : null, pr.GetValue(mc));
            var t = new Table().AddColumn("class").AddColumn(new TableColumn("IoU").RightAligned())
                .AddColumn(new TableColumn("Dice").RightAligned());
            for (int c = 0; c < result.ClassNames.Length; c++)
                t.AddRow(Markup.Escape($"{c} {result.ClassNames[c]}"), result.Iou[c].ToString("F4", CultureInfo.InvariantCulture),
                    result.Dice[c].ToString("F4", CultureInfo.InvariantCulture));
            AnsiConsole.Write(t);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"mean IoU {result.MeanIou:F4}, mean Dice {result.MeanDice:F4} over {result.ClassNames.Length} classes"));
            Console.WriteLine($"report: {result.Report}");
            return 0;
        });
        return cmd;
    }

    private static Command Simulate()
    {
        var cmd = new Command("simulate",
            "Replay seed 003's interactive annotation on an image with full ground truth: 1 training + 2 test patches, one patch " +
            "added per round (active rule vs random), simulated strokes, IoU/Dice on unused patches; learning curves over seeds in " +
            "report.html");
        var image = new Option<string?>("--image") { Description = "The image (default with --generate: an EM-like image made here)" };
        var truth = new Option<string?>("--truth") { Description = "Its full ground truth (grey class numbers)" };
        var generate = new Option<bool>("--generate")
        {
            Description = "Generate the EM-like image and truth first (3840x2920, as `segment synth`) into OUT/generated"
        };
        var outDir = new Option<string>("--out") { Description = "Run directory", Required = true };
        var seeds = new Option<int>("--seeds") { Description = "Seeds (repeats with other start patches)", DefaultValueFactory = _ => 3 };
        var patches = new Option<int>("--patches")
        {
            Description = "Rounds: up to this many training patches",
            DefaultValueFactory = _ => 15
        };
        var fraction = new Option<double>("--stroke-fraction")
        {
            Description = "Share of each object's and background area's pixels the simulated strokes annotate",
            DefaultValueFactory = _ => 0.5
        };
        var classMap = new Option<string?>("--class-map")
        {
            Description = "Truth value v becomes class MAP[v], comma-separated (e.g. 0,1,0: large cells against the rest; the default " +
                "with --generate)"
        };
        var target = new Option<int>("--target-class")
        {
            Description = "The class whose IoU is the headline",
            DefaultValueFactory = _ => 1
        };
        var scale = new Option<float?>("--scale") { Description = "Working scale (default: 0.25 with the demo preset, else the config's)" };
        var warmEpochs = new Option<int?>("--warm-epochs")
        {
            Description = "Epochs of rounds after the first (they start from the last model)"
        };
        var cold = new Option<bool>("--cold") { Description = "Train every round from scratch instead of from the previous round's model" };
        var strokes = new Option<string>("--strokes")
        {
            Description = "Simulated annotation: cores (each object's and background area's centre) or scribbles (random brush strokes " +
                "inside each class)",
            DefaultValueFactory = _ => "cores"
        };
        strokes.AcceptOnlyFromAmong("cores", "scribbles");
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted simulation at its last round" };
        foreach (var o in new Option[] { image, truth, generate, outDir, seeds, patches, RuleOption, fraction, classMap, target,
            scale, warmEpochs,
            cold, strokes, ConfigOption, PresetOption, resume })
            cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var config = ResolveConfig(pr);
            var dir = Path.GetFullPath(pr.GetValue(outDir)!);
            int[]? map = pr.GetValue(classMap) is { } m ? ParseMap(m) : null;
            string imagePath, truthPath;
            if (pr.GetValue(generate))
            {
                if (pr.GetValue(image) is not null || pr.GetValue(truth) is not null)
                    throw new ArgumentException("--generate makes its own image; leave out --image and --truth");
                var generated = Path.Combine(dir, "generated");
                imagePath = Path.Combine(generated, "image.png");
                truthPath = Path.Combine(generated, "truth.png");
                if (!(pr.GetValue(resume) && File.Exists(imagePath) && File.Exists(truthPath)))
                    EmCellImage.Write(EmCellImage.Generate(new EmCellOptions()), generated);
                map ??= [0, 1, 0];
                config = config with { ClassNames = ["rest", "large cell"] };
            }
            else
            {
                imagePath = pr.GetValue(image) ?? throw new ArgumentException("give --image and --truth, or --generate");
                truthPath = pr.GetValue(truth) ?? throw new ArgumentException("--image needs --truth (its full ground truth)");
            }
            if (pr.GetValue(scale) is { } sc) config = config with { Scale = sc };
            else if (pr.GetValue(PresetOption) == "demo" && pr.GetValue(ConfigOption) is null) config = config with { Scale = 0.25f };
            var options = new SimulationOptions
            {
                Image = imagePath,
                Truth = truthPath,
                OutDir = dir,
                Config = config,
                Seeds = pr.GetValue(seeds),
                Patches = pr.GetValue(patches),
                Rule = Rule(pr),
                StrokeFraction = pr.GetValue(fraction),
                Strokes = Common.EnumNames.Parse<StrokeMode>(pr.GetValue(strokes)!),
                ClassMap = map,
                TargetClass = pr.GetValue(target),
                WarmStart = !pr.GetValue(cold),
                WarmEpochs = pr.GetValue(warmEpochs),
                Resume = pr.GetValue(resume),
            };
            var simulation = new AnnotationSimulation { Log = line => Console.WriteLine(line) };
            var result = simulation.Run(options);
            foreach (var c in result.Curves)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{c.Strategy}: IoU of class {options.TargetClass} after {c.Patches[^1]} patches " +
                    $"{c.MeanIou[^1]:F3} ± {c.StdIou[^1]:F3}"));
            Console.WriteLine($"report: {result.Report} ({result.Seconds / 60:F1} min)");
            return 0;
        });
        return cmd;
    }

    private static int[] ParseMap(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var map = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out map[i]) || map[i] > 254)
                throw new ArgumentException($"--class-map: '{parts[i]}' is not a class number 0..254 " +
                    "(give one per truth value, e.g. 0,1,0)");
        return map;
    }

    /// <summary>Runs <paramref name="work"/> under a progress bar fed by its training progress.</summary>
    private static void WithProgress(string what, Action<Action<BatchProgress>> work) =>
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                ProgressTask? task = null;
                work(p =>
                {
                    task ??= ctx.AddTask(what, maxValue: p.Epochs * p.Batches);
                    task.Value = (p.Epoch - 1) * p.Batches + p.Batch;
                    task.Description = $"{what} epoch {p.Epoch}/{p.Epochs} loss {p.Loss:F3} {p.ItemsPerSecond:F0} patches/s";
                });
                task?.StopTask();
            });

    private static Command Synth()
    {
        var cmd = new Command("synth",
            "Generate an EM-like tissue image (two cell types, membranes, nuclei, organelles, noise, uneven light) with full " +
            "ground truth: image.png and truth.png (0 matrix, 1 large cell, 2 small cell)");
        var outDir = new Option<string>("--out")
        {
            Description = "Folder to write image.png and truth.png into",
            Required = true
        };
        var width = new Option<int>("--width") { Description = "Width in pixels", DefaultValueFactory = _ => 3840 };
        var height = new Option<int>("--height") { Description = "Height in pixels", DefaultValueFactory = _ => 2920 };
        var scale = new Option<float>("--scale")
        {
            Description = "Multiplies every length (cells, membranes, organelles): 0.5 draws the same tissue at half the magnification",
            DefaultValueFactory = _ => 1f
        };
        var seed = new Option<int>("--seed")
        {
            Description = "Random seed: the same seed gives the same image",
            DefaultValueFactory = _ => 1
        };
        foreach (var o in new Option[] { outDir, width, height, scale, seed }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var options = new EmCellOptions
            {
                Width = pr.GetValue(width),
                Height = pr.GetValue(height),
                Scale = pr.GetValue(scale),
                Seed = pr.GetValue(seed)
            };
            var result = EmCellImage.Generate(options);
            var dir = Path.GetFullPath(pr.GetValue(outDir)!);
            var (image, truth) = EmCellImage.Write(result, dir);
            Console.WriteLine($"{result.Width}x{result.Height}, {result.LargeCells} large and {result.SmallCells} small cells in " +
                $"{result.Seconds:F1} s -> {image}, {truth}");
            return 0;
        });
        return cmd;
    }
}
