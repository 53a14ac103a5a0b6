using System.CommandLine;
using System.Globalization;
using InSitu.Common;
using InSitu.Data;
using InSitu.Workflows.Stages;
using Spectre.Console;

namespace InSitu.Cli;

/// <summary>`insitu explain` and `insitu gem`: what drives a stage model's predictions.</summary>
public static class InterpretCommands
{
    public static IEnumerable<Command> Build()
    {
        yield return Explain();
        yield return Gem();
    }

    private static void Declare(Command cmd, Argument[] arguments, params Option[] options)
    {
        foreach (var a in arguments) cmd.Arguments.Add(a);
        foreach (var o in options) cmd.Options.Add(o);
    }

    private static Command Explain()
    {
        var cmd = new Command("explain",
            "Attribution maps of a stage model: saliency (d o_c / d x), guided backpropagation, Grad-CAM, or first-layer feature maps " +
            "next to log-Gabor responses");
        var run = new Argument<string>("model") { Description = "Run directory of `insitu stage train`" };
        var images = new Argument<string[]>("images") { Description = "Image files or folders", Arity = ArgumentArity.OneOrMore };
        var method = new Option<string>("--method")
        {
            Description = string.Join(", ", EnumNames.All<ExplanationKind>()),
            DefaultValueFactory = _ => "saliency"
        };
        var stage = new Option<int?>("--stage") { Description = "Explain this stage (4..17) instead of the predicted one" };
        var output = new Option<string>("--out") { Description = "Folder for the PNGs and explanations.csv", Required = true };
        Declare(cmd, new Argument[] { run, images }, method, stage, output);
        cmd.SetAction(pr =>
        {
            ExplanationKind kind;
            try
            {
                kind = EnumNames.Parse<ExplanationKind>(pr.GetValue(method)!);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"--method: {e.Message}");
            }
            PreciseStage? explained = null;
            if (pr.GetValue(stage) is { } st)
            {
                if (!PreciseStage.IsPrecise(st))
                    throw new ArgumentException($"--stage must be a precise stage {PreciseStage.First}..{PreciseStage.Last}");
                explained = new PreciseStage(st);
            }
            var outDir = Path.GetFullPath(pr.GetValue(output)!);
            int n = StageExplainer.ExplainToFolder(pr.GetValue(run)!, pr.GetValue(images)!, kind, explained, outDir);
            AnsiConsole.MarkupLine($"{EnumNames.Name(kind)} maps of {n} images -> {Markup.Escape(outDir)}");
            return 0;
        });
        return cmd;
    }

    private static Command Gem()
    {
        var cmd = new Command("gem",
            "Genome-wide expression maps: per stage, the share of genes active at each pixel, by predicted and by true stage " +
            "(--masked: weighted by saliency)");
        var run = new Argument<string>("model") { Description = "Run directory of `insitu stage train`" };
        var manifest = new Argument<string>("manifest") { Description = "Manifest of colour ISH images (true stages used where given)" };
        var output = new Option<string>("--out") { Description = "Folder for the GEM images and gems.json", Required = true };
        var masked = new Option<bool>("--masked")
        {
            Description = "Also masked GEMs: each image's stain weighted by its normalised saliency map"
        };
        var stages = new Option<string>("--stages") { Description = "Stages to draw, e.g. 7-12", DefaultValueFactory = _ => "4-17" };
        Declare(cmd, new Argument[] { run, manifest }, output, masked, stages);
        cmd.SetAction(pr =>
        {
            var range = pr.GetValue(stages)!.Split('-');
            if (range.Length != 2 || !int.TryParse(range[0], out int lo) || !int.TryParse(range[1], out int hi) || lo < PreciseStage.First
                || hi > PreciseStage.Last || lo > hi)
                throw new ArgumentException("--stages takes a range of precise stages such as 7-12 (within 4-17)");
            var gem = StageExplainer.GemsToFolder(pr.GetValue(run)!, pr.GetValue(manifest)!, Enumerable.Range(lo, hi - lo + 1).ToList(),
                pr.GetValue(masked), Path.GetFullPath(pr.GetValue(output)!));
            AnsiConsole.MarkupLine($"GEMs -> {Markup.Escape(gem)}");
            return 0;
        });
        return cmd;
    }
}
