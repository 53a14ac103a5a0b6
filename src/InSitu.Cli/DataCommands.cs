using System.CommandLine;
using InSitu.Data;
using Spectre.Console;

namespace InSitu.Cli;

/// <summary>`insitu data ...`: bring images in as a manifest and summarise manifests.</summary>
public static class DataCommands
{
    public static Command Build(Func<Func<int>, int> guard)
    {
        var data = new Command("data", "Create and inspect dataset manifests (CSV: path,label,stage,range,gene,view,terms,bag,split)");
        data.Subcommands.Add(Import(guard));
        data.Subcommands.Add(Stats(guard));
        data.Subcommands.Add(SplitCommand(guard));
        return data;
    }

    private static Command Import(Func<Func<int>, int> guard)
    {
        var cmd = new Command("import", "Build a manifest from a class-per-folder tree (ROOT/CLASS/image files), or with --bdgp from the BDGP tables and a folder of their images");
        var root = new Argument<string>("root") { Description = "Folder with one subfolder of images per class (with --bdgp: the folder holding the tables' images)" };
        var output = new Option<string>("--out") { Description = "Manifest file to write", Required = true };
        var bdgp = new Option<string?>("--bdgp") { Description = "Folder with standard_images.csv and standard_annotations.csv" };
        cmd.Arguments.Add(root);
        cmd.Options.Add(output);
        cmd.Options.Add(bdgp);
        cmd.SetAction(pr => guard(() =>
        {
            var outFile = Path.GetFullPath(pr.GetValue(output)!);
            if (pr.GetValue(bdgp) is { } tables)
            {
                var b = BdgpImporter.Import(Path.Combine(tables, "standard_images.csv"), Path.Combine(tables, "standard_annotations.csv"),
                    pr.GetValue(root)!, Path.GetDirectoryName(outFile)!);
                b.Manifest.Save(outFile);
                AnsiConsole.MarkupLine($"imported {b.Manifest.Rows.Count} of {b.ImagesInTables} images named in the tables; " +
                    $"{b.Missing} not found in the folder{(b.Missing > 0 ? $" (e.g. {Markup.Escape(string.Join(", ", b.MissingExamples))})" : "")} -> {Markup.Escape(outFile)}");
                return 0;
            }
            var result = ImageFolderImporter.Import(pr.GetValue(root)!, Path.GetDirectoryName(outFile)!);
            result.Manifest.Save(outFile);
            foreach (var (path, reason) in result.Skipped)
                AnsiConsole.MarkupLine($"[yellow]skipped[/] {Markup.Escape(path)}: {Markup.Escape(reason)}");
            AnsiConsole.MarkupLine($"imported {result.Manifest.Rows.Count} images in {result.Classes.Count} classes" +
                $"{(result.Skipped.Count > 0 ? $", skipped {result.Skipped.Count} unreadable" : "")} -> {Markup.Escape(outFile)}");
            return 0;
        }));
        return cmd;
    }

    private static Command Stats(Func<Func<int>, int> guard)
    {
        var cmd = new Command("stats", "Count a manifest's images by label, stage, range, split, term and bag size");
        var manifest = new Argument<string>("manifest") { Description = "Manifest CSV" };
        cmd.Arguments.Add(manifest);
        cmd.SetAction(pr => guard(() =>
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
        }));
        return cmd;
    }

    private static Command SplitCommand(Func<Func<int>, int> guard)
    {
        var cmd = new Command("split", "Assign train/val/test: seeded, stratified by stage (or range, or label), grouped by gene");
        var manifest = new Argument<string>("manifest") { Description = "Manifest CSV" };
        var output = new Option<string>("--out") { Description = "Manifest to write (default: overwrite the input)" };
        var fractions = new Option<string>("--fractions") { Description = "train,val,test fractions", DefaultValueFactory = _ => "0.7,0.1,0.2" };
        var seed = new Option<int>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 1 };
        cmd.Arguments.Add(manifest);
        cmd.Options.Add(output);
        cmd.Options.Add(fractions);
        cmd.Options.Add(seed);
        cmd.SetAction(pr => guard(() =>
        {
            var parts = pr.GetValue(fractions)!.Split(',').Select(p => double.TryParse(p, System.Globalization.NumberStyles.Float,
                System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : double.NaN).ToArray();
            if (parts.Length != 3 || parts.Any(double.IsNaN)) throw new ArgumentException("--fractions takes three numbers, e.g. 0.7,0.1,0.2");
            var input = pr.GetValue(manifest)!;
            var result = SplitMaker.Split(Manifest.Load(input), parts[0], parts[1], parts[2], pr.GetValue(seed));
            var outFile = pr.GetValue(output) ?? input;
            result.Save(outFile);
            var counts = result.Rows.GroupBy(r => r.Split).ToDictionary(g => g.Key!, g => g.Count());
            AnsiConsole.MarkupLine($"train {counts.GetValueOrDefault("train")}, val {counts.GetValueOrDefault("val")}, test {counts.GetValueOrDefault("test")} -> {Markup.Escape(outFile)}");
            return 0;
        }));
        return cmd;
    }
}
