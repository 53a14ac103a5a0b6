using System.CommandLine;
using InSitu.Data;
using Spectre.Console;

namespace InSitu.Cli;

/// <summary>`insitu data ...`: bring images in as a manifest and summarise manifests.</summary>
public static class DataCommands
{
    public static Command Build()
    {
        var data = new Command("data", "Create and inspect dataset manifests (CSV: path,label,stage,range,gene,view,terms,bag,split)");
        data.Subcommands.Add(Import());
        data.Subcommands.Add(Stats());
        data.Subcommands.Add(SplitCommand());
        data.Subcommands.Add(Standardize());
        return data;
    }

    private static Command Import()
    {
        var cmd = new Command("import",
            "Build a manifest from a class-per-folder tree (ROOT/CLASS/image files), or with --bdgp from the BDGP tables and a " +
            "folder of their images");
        var root = new Argument<string>("root")
        {
            Description = "Folder with one subfolder of images per class (with --bdgp: the folder holding the tables' images)"
        };
        var output = new Option<string>("--out") { Description = "Manifest file to write", Required = true };
        var bdgp = new Option<string?>("--bdgp") { Description = "Folder with standard_images.csv and standard_annotations.csv" };
        var flyexpress = new Option<string?>("--flyexpress")
        {
            Description = "Bag CSV of the FlyExpress challenge form (gene_stage,labels,imgs)"
        };
        var vocabulary = new Option<string?>("--terms")
        {
            Description = "With --flyexpress: text file of CV terms, one per line, for numeric labels (line 1 = label 0)"
        };
        var strict = StrictOption();
        cmd.Arguments.Add(root);
        cmd.Options.Add(output);
        cmd.Options.Add(bdgp);
        cmd.Options.Add(flyexpress);
        cmd.Options.Add(vocabulary);
        cmd.Options.Add(strict);
        cmd.SetAction(pr =>
        {
            var outFile = Path.GetFullPath(pr.GetValue(output)!);
            if (pr.GetValue(flyexpress) is { } bagCsv)
            {
                var f = FlyExpressBagImporter.Import(bagCsv, pr.GetValue(root)!, Path.GetDirectoryName(outFile)!, pr.GetValue(vocabulary));
                f.Manifest.Save(outFile);
                AnsiConsole.MarkupLine($"imported {f.Manifest.Rows.Count} of {f.ImagesInTable} images in {f.Bags} bags; " +
                    $"{f.Missing} not found in the " +
                    $"folder{(f.Missing > 0 ? $" (e.g. {Markup.Escape(string.Join(", ", f.MissingExamples))})" : "")} -> " +
                    $"{Markup.Escape(outFile)}");
                return 0;
            }
            if (pr.GetValue(bdgp) is { } tables)
            {
                var b = BdgpImporter.Import(Path.Combine(tables, "standard_images.csv"), Path.Combine(tables, "standard_annotations.csv"),
                    pr.GetValue(root)!, Path.GetDirectoryName(outFile)!);
                b.Manifest.Save(outFile);
                AnsiConsole.MarkupLine($"imported {b.Manifest.Rows.Count} of {b.ImagesInTables} images named in the tables; " +
                    $"{b.Missing} not found in the " +
                    $"folder{(b.Missing > 0 ? $" (e.g. {Markup.Escape(string.Join(", ", b.MissingExamples))})" : "")} -> " +
                    $"{Markup.Escape(outFile)}");
                return 0;
            }
            var result = ImageFolderImporter.Import(pr.GetValue(root)!, Path.GetDirectoryName(outFile)!);
            var failures = FailureReport.PathBeside(outFile);
            FailureReport.Write(failures, result.Skipped);
            if (result.Manifest.Rows.Count == 0)
                throw FailureReport.NothingUsable($"under '{pr.GetValue(root)}'", result.Found, result.Skipped, failures);
            result.Manifest.Save(outFile);
            PrintSkipped("skipped", result.Skipped, failures);
            var summary = FailureReport.Summary("imported", result.Manifest.Rows.Count, result.Found, result.Skipped.Count, failures);
            AnsiConsole.MarkupLine($"{Markup.Escape(summary)} ({result.Classes.Count} classes) -> {Markup.Escape(outFile)}");
            return StrictExit(pr.GetValue(strict), result.Skipped.Count);
        });
        return cmd;
    }

    /// <summary>--strict of the batch commands: any skipped file makes the command fail (after writing its outputs).</summary>
    internal static Option<bool> StrictOption() =>
        new("--strict") { Description = "Exit with an error if any file was skipped (outputs and the failures list are still written)" };

    /// <summary>0, or an input error (one line on stderr, exit 1) when --strict is given and files were skipped.</summary>
    internal static int StrictExit(bool strict, int skipped)
    {
        if (strict && skipped > 0) throw new InvalidDataException($"--strict: {skipped} file(s) were skipped");
        return 0;
    }

    /// <summary>The first 20 skipped files with their reasons; the rest are in the failures file.</summary>
    internal static void PrintSkipped(string what, IReadOnlyList<(string path, string reason)> skipped, string file)
    {
        foreach (var (path, reason) in skipped.Take(20))
            AnsiConsole.MarkupLine($"[yellow]{what}[/] {Markup.Escape(path)}: {Markup.Escape(reason)}");
        if (skipped.Count > 20)
            AnsiConsole.MarkupLine($"[yellow]... and {skipped.Count - 20} more[/] (all listed in {Markup.Escape(file)})");
    }

    private static Command Stats()
    {
        var cmd = new Command("stats", "Count a manifest's images by label, stage, range, split, term and bag size");
        var manifest = new Argument<string>("manifest") { Description = "Manifest CSV" };
        cmd.Arguments.Add(manifest);
        cmd.SetAction(pr =>
        {
            var s = ManifestStats.Of(Manifest.Load(pr.GetValue(manifest)!));
            Console.WriteLine($"images: {s.Images}");
            void Table<TK>(string title, IEnumerable<KeyValuePair<TK, int>> counts, Func<TK, string> name)
            {
                var list = counts.ToList();
                if (list.Count == 0) return;
                var t = new Table().AddColumn(title).AddColumn(new TableColumn("images").RightAligned());
                foreach (var (k, v) in list) t.AddRow(Markup.Escape(name(k)), v.ToString());
                AnsiConsole.Write(t);
            }
            Table("label", s.ByLabel, k => k);
            Table("stage", s.ByStage, k => k.ToString());
            Table("range", s.ByRange, k => $"{k} ({StageRanges.Names[k - 1]})");
            Table("split", s.BySplit, k => k);
            Table("term", s.TopTerms.Select(t => new KeyValuePair<string, int>(t.term, t.images)), k => k);
            if (s.Bags > 0)
            {
                Console.WriteLine($"bags: {s.Bags} ({s.Genes} genes)");
                Table("bag size", s.BagSizes, k => k.ToString());
            }
            return 0;
        });
        return cmd;
    }

    private static Command SplitCommand()
    {
        var cmd = new Command("split", "Assign train/val/test: seeded, stratified by stage (or range, or label), grouped by gene");
        var manifest = new Argument<string>("manifest") { Description = "Manifest CSV" };
        var output = new Option<string>("--out") { Description = "Manifest to write (default: overwrite the input)" };
        var fractions = new Option<string>("--fractions")
        {
            Description = "train,val,test fractions",
            DefaultValueFactory = _ => "0.7,0.1,0.2"
        };
        var seed = new Option<int>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 1 };
        cmd.Arguments.Add(manifest);
        cmd.Options.Add(output);
        cmd.Options.Add(fractions);
        cmd.Options.Add(seed);
        cmd.SetAction(pr =>
        {
            var parts = pr.GetValue(fractions)!.Split(',').Select(p => double.TryParse(p, System.Globalization.NumberStyles.Float,
                System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : double.NaN).ToArray();
            if (parts.Length != 3 || parts.Any(double.IsNaN))
                throw new ArgumentException("--fractions takes three numbers, e.g. 0.7,0.1,0.2");
            var input = pr.GetValue(manifest)!;
            var result = SplitMaker.Split(Manifest.Load(input), parts[0], parts[1], parts[2], pr.GetValue(seed));
            var outFile = pr.GetValue(output) ?? input;
            result.Save(outFile);
            var counts = result.Rows.GroupBy(r => r.Split).ToDictionary(g => g.Key!, g => g.Count());
            AnsiConsole.MarkupLine($"train {counts.GetValueOrDefault("train")}, val {counts.GetValueOrDefault("val")}, test " +
                $"{counts.GetValueOrDefault("test")} -> {Markup.Escape(outFile)}");
            return 0;
        });
        return cmd;
    }

    private static Command Standardize()
    {
        var cmd = new Command("standardize",
            "Straighten raw lateral-view photos into BDGP-style standard images: find the main embryo (by colour and texture against " +
            "the photo's background), cut away touching neighbours, turn its axis horizontal, crop and scale it to fill the frame, " +
            "white around it");
        var input = new Argument<string>("input") { Description = "Manifest CSV or folder of raw photos" };
        var output = new Option<string>("--out") { Description = "Folder for images/, manifest.csv and failures.csv", Required = true };
        var width = new Option<int>("--width") { Description = "Output width", DefaultValueFactory = _ => 320 };
        var height = new Option<int>("--height") { Description = "Output height", DefaultValueFactory = _ => 128 };
        var strict = StrictOption();
        var debug = new Option<string?>("--debug")
        {
            Description = "Folder for one picture per photo (what stood out from the background, the separated bodies, the main " +
                "embryo's outline in red) and photos.csv (each photo's outcome, angle, axis ratio, area share)"
        };
        cmd.Arguments.Add(input);
        cmd.Options.Add(output);
        cmd.Options.Add(width);
        cmd.Options.Add(height);
        cmd.Options.Add(strict);
        cmd.Options.Add(debug);
        cmd.SetAction(pr =>
        {
            int w = pr.GetValue(width), h = pr.GetValue(height);
            if (w < 16 || h < 16) throw new ArgumentException("--width and --height must be at least 16");
            var standardizer = new InSitu.Imaging.EmbryoStandardizer { Width = w, Height = h };
            var dir = Path.GetFullPath(pr.GetValue(output)!);
            Data.StandardizeJob.Result? result = null;
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                    new RemainingTimeColumn(), new SpinnerColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("standardizing");
                    result = Data.StandardizeJob.Run(pr.GetValue(input)!, dir, standardizer,
                        (done, total) => { task.MaxValue = total; task.Value = done; },
                        pr.GetValue(debug) is { } d ? Path.GetFullPath(d) : null);
                });
            var failures = Path.Combine(dir, "failures.csv");
            if (result!.Standardized == 0)
                throw FailureReport.NothingUsable($"in '{pr.GetValue(input)}'", result.Images, result.Failures, failures);
            PrintSkipped("not standardized", result.Failures, failures);
            var summary = FailureReport.Summary("standardized", result.Standardized, result.Images, result.Failures.Count, failures);
            AnsiConsole.MarkupLine($"{Markup.Escape(summary)} -> {Markup.Escape(result.ManifestPath)}");
            return StrictExit(pr.GetValue(strict), result.Failures.Count);
        });
        return cmd;
    }
}
