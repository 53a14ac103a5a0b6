using System.CommandLine;
using InSitu.Synthesis;
using InSitu.Torch;
using Spectre.Console;

namespace InSitu.Cli;

/// <summary>`insitu synth`: a BDGP-like simulated dataset (images + manifest), labels drawn from the real BDGP tables.</summary>
public static class SynthCommand
{
    public static Command Build()
    {
        var cmd = new Command("synth",
            "Simulate BDGP-like lateral-view ISH images with precise stage, range, gene, CV terms and bag for each image");
        var outDir = new Option<string>("--out") { Description = "Folder to write images/ and manifest.csv into", Required = true };
        var preset = new Option<string>("--preset")
        {
            Description = $"Size preset: {string.Join(", ", SynthOptions.Presets.Select(p => $"{p.Key} ({p.Value} images)"))}",
            DefaultValueFactory = _ => "bdgp-small"
        };
        var count = new Option<int?>("--images") { Description = "Number of images (overrides the preset's)" };
        var seed = new Option<int>("--seed")
        {
            Description = "Random seed: the same seed gives the same dataset",
            DefaultValueFactory = _ => 1
        };
        var raw = new Option<bool>("--raw")
        {
            Description =
                "Raw microscope frames (1520x1080, embryo at a random angle, sometimes a touching neighbour) for testing " +
                "`insitu data standardize`"
        };
        var jitter = new Option<float>("--jitter")
        {
            Description = "Developmental jitter (stages): how far an embryo's morphology may run ahead of or behind its labelled time",
            DefaultValueFactory = _ => 0.12f
        };
        var tables = new Option<string?>("--tables")
        {
            Description = "Folder with the BDGP label tables (default: $INSITU_BDGP_TABLES or ../shared/data/bdgp-annotations)"
        };
        var grid = new Option<bool>("--grid") { Description = "Also write grid.png: three examples of every stage" };
        var realism = new Option<string?>("--realism")
        {
            Description = "Instead of a dataset, write a realism report into --out: simulated raw frames and standard views " +
                "against the real photos of this folder (photoN.jpg with maskN.png, dark = main embryo)"
        };
        var realismCount = new Option<int?>("--count")
        {
            Description = "With --realism: images to simulate per view (default 16)"
        };
        var simulated = new Option<string?>("--simulated")
        {
            Description = "With --realism: measure the simulated images of this folder (raw/NNN.jpg, standard/NNN.png, each with " +
                "NNN_mask.png, dark = embryo; bench/realism/SimExport writes them) instead of rendering --count"
        };
        foreach (var o in new Option[] { outDir, preset, count, seed, raw, jitter, tables, grid, realism, realismCount, simulated })
            cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var labels = BdgpLabelTables.LoadOrFind(pr.GetValue(tables));
            if (pr.GetValue(realism) is { } realFolder) return Realism(pr.GetValue(outDir)!, realFolder, pr.GetValue(realismCount) ?? 16,
                pr.GetValue(seed), labels, pr.GetValue(simulated));
            if (pr.GetValue(realismCount) is not null) throw new ArgumentException("--count is only used with --realism; use --images");
            if (pr.GetValue(simulated) is not null) throw new ArgumentException("--simulated is only used with --realism");
            var options = SynthOptions.FromPreset(pr.GetValue(preset)!, pr.GetValue(seed), pr.GetValue(raw))
                with
            { DevelopmentalJitter = pr.GetValue(jitter) };
            if (pr.GetValue(count) is { } n)
            {
                if (n < 1) throw new ArgumentException("--images must be at least 1");
                options = options with { Images = n };
            }
            if (options.DevelopmentalJitter is not (>= 0 and <= 2)) throw new ArgumentException("--jitter must be between 0 and 2 stages");
            var dir = Path.GetFullPath(pr.GetValue(outDir)!);
            DatasetSimulator.Result? result = null;
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                    new RemainingTimeColumn(), new SpinnerColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("simulating", maxValue: options.Images);
                    result = DatasetSimulator.Generate(labels, options, dir, done => task.Value = done);
                });
            new Reports.RunDirectory(dir).WriteJson("synth.json", new
            {
                preset = pr.GetValue(preset),
                options.Images,
                options.Seed,
                options.Raw,
                options.DevelopmentalJitter,
                tables = Path.GetFullPath(labels.Folder),
                seconds = Math.Round(result!.Seconds, 2),
            });
            if (pr.GetValue(grid))
            {
                var (pixels, w, h) = StageGrid.Render(labels, seed: options.Seed);
                using var t = Tensor.FromArray(pixels, h, w, 3);
                ImageIO.Write(Path.Combine(dir, "grid.png"), t);
            }
            AnsiConsole.MarkupLine($"simulated {result.Images} images in {result.Seconds:F1} s ({result.Images / result.Seconds:F0} " +
                $"images/s) -> {Markup.Escape(result.ManifestPath)}");
            return 0;
        });
        return cmd;
    }

    private static int Realism(string outDir, string realFolder, int count, int seed, BdgpLabelTables labels, string? simulated)
    {
        if (count < 2) throw new ArgumentException("--count must be at least 2");
        var dir = Path.GetFullPath(outDir);
        var result = Synthesis.Realism.RealismReport.Run(new Synthesis.Realism.RealismOptions(realFolder, count, seed,
            SimulatedFolder: simulated), labels, dir);
        foreach (var view in new[] { result.Raw, result.Standard })
            AnsiConsole.MarkupLine(Markup.Escape(view.View + ": " + string.Join(", ", view.Summary().Select(kv =>
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:F3}")))));
        AnsiConsole.MarkupLine($"compared in {result.Seconds:F1} s -> {Markup.Escape(Path.Combine(dir, "report.html"))}");
        return 0;
    }
}
