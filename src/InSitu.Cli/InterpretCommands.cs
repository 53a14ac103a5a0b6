using System.CommandLine;
using System.Globalization;
using InSitu.Data;
using InSitu.Interpretation;
using InSitu.Reports;
using InSitu.Stages;
using InSitu.Torch;
using Spectre.Console;

namespace InSitu.Cli;

/// <summary>`insitu explain` and `insitu gem`: what drives a stage model's predictions.</summary>
public static class InterpretCommands
{
    public static IEnumerable<Command> Build(Func<Func<int>, int> guard)
    {
        yield return Explain(guard);
        yield return Gem(guard);
    }

    private static void Declare(Command cmd, Argument[] arguments, params Option[] options)
    {
        foreach (var a in arguments) cmd.Arguments.Add(a);
        foreach (var o in options) cmd.Options.Add(o);
    }

    private static Command Explain(Func<Func<int>, int> guard)
    {
        var cmd = new Command("explain", "Attribution maps of a stage model: saliency (d o_c / d x), guided backpropagation, Grad-CAM, or first-layer feature maps next to log-Gabor responses");
        var run = new Argument<string>("model") { Description = "Run directory of `insitu stage train`" };
        var images = new Argument<string[]>("images") { Description = "Image files or folders", Arity = ArgumentArity.OneOrMore };
        var method = new Option<string>("--method") { Description = "saliency, guided, gradcam or features", DefaultValueFactory = _ => "saliency" };
        var stage = new Option<int?>("--stage") { Description = "Explain this stage (4..17) instead of the predicted one" };
        var output = new Option<string>("--out") { Description = "Folder for the PNGs and explanations.csv", Required = true };
        Declare(cmd, new Argument[] { run, images }, method, stage, output);
        cmd.SetAction(pr => guard(() =>
        {
            var m = pr.GetValue(method)!;
            if (m != "features" && !StageInterpreter.Methods.Contains(m)) throw new ArgumentException($"unknown method '{m}': use saliency, guided, gradcam or features");
            if (pr.GetValue(stage) is { } st && st is < 4 or > 17) throw new ArgumentException("--stage must be a precise stage 4..17");
            var (net, info) = StageModelInfo.Load(pr.GetValue(run)!);
            using var _ = net;
            var manifest = ImageInputs.Load(pr.GetValue(images)!);
            var interpreter = new StageInterpreter(net, info.Config);
            var outDir = Path.GetFullPath(pr.GetValue(output)!);
            Directory.CreateDirectory(outDir);
            var rows = Enumerable.Range(0, manifest.Rows.Count).ToList();
            var (x, colour) = interpreter.Load(manifest, rows);
            using (x)
            {
                string Name(int i) => Path.GetFileNameWithoutExtension(manifest.Rows[i].Path);
                if (m == "features")
                {
                    for (int i = 0; i < rows.Count; i++)
                        using (var xi = x.Narrow(0, i, 1)) interpreter.FeatureMaps(xi, colour[i]).Save(Path.Combine(outDir, $"{Name(i)}.features.png"));
                    AnsiConsole.MarkupLine($"feature maps of {rows.Count} images -> {Markup.Escape(outDir)}");
                    return 0;
                }
                var classes = pr.GetValue(stage) is { } s ? Enumerable.Repeat((long)(s - 4), rows.Count).ToArray() : null;
                float[][] predictedMaps;
                long[] predicted;
                using (Autograd.InferenceMode()) predicted = Training.ClassifierTrainer.Predict(net, x, 64);
                (predictedMaps, var explained) = interpreter.Explain(x, m, classes);
                var lines = new List<string> { "path,predicted_stage,explained_stage,map,overlay" };
                for (int i = 0; i < rows.Count; i++)
                {
                    string map = $"{Name(i)}.{m}.png", overlay = $"{Name(i)}.{m}.overlay.png";
                    MapImages.Gray(predictedMaps[i], info.Config.Width, info.Config.Height).Save(Path.Combine(outDir, map));
                    MapImages.Overlay(colour[i], predictedMaps[i]).Save(Path.Combine(outDir, overlay));
                    lines.Add(Csv.Line(new[] { manifest.FullPath(manifest.Rows[i]), (predicted[i] + 4).ToString(CultureInfo.InvariantCulture),
                        (explained[i] + 4).ToString(CultureInfo.InvariantCulture), map, overlay }));
                }
                RunDirectory.AtomicWrite(Path.Combine(outDir, "explanations.csv"), string.Join("\n", lines) + "\n");
                AnsiConsole.MarkupLine($"{m} maps of {rows.Count} images -> {Markup.Escape(outDir)}");
            }
            return 0;
        }));
        return cmd;
    }

    private static Command Gem(Func<Func<int>, int> guard)
    {
        var cmd = new Command("gem", "Genome-wide expression maps: per stage, the share of genes active at each pixel, by predicted and by true stage (--masked: weighted by saliency)");
        var run = new Argument<string>("model") { Description = "Run directory of `insitu stage train`" };
        var manifest = new Argument<string>("manifest") { Description = "Manifest of colour ISH images (true stages used where given)" };
        var output = new Option<string>("--out") { Description = "Folder for the GEM images and gems.json", Required = true };
        var masked = new Option<bool>("--masked") { Description = "Also masked GEMs: each image's stain weighted by its normalised saliency map" };
        var stages = new Option<string>("--stages") { Description = "Stages to draw, e.g. 7-12", DefaultValueFactory = _ => "4-17" };
        Declare(cmd, new Argument[] { run, manifest }, output, masked, stages);
        cmd.SetAction(pr => guard(() =>
        {
            var range = pr.GetValue(stages)!.Split('-');
            if (range.Length != 2 || !int.TryParse(range[0], out int lo) || !int.TryParse(range[1], out int hi) || lo < 4 || hi > 17 || lo > hi)
                throw new ArgumentException("--stages takes a range of precise stages such as 7-12 (within 4-17)");
            var (net, info) = StageModelInfo.Load(pr.GetValue(run)!);
            using var _ = net;
            var m = Manifest.Load(pr.GetValue(manifest)!);
            var interpreter = new StageInterpreter(net, info.Config);
            var (x, colour) = interpreter.Load(m, Enumerable.Range(0, m.Rows.Count).ToList());
            ExpressionMaps predicted, maskedMaps, truth;
            using (x) (predicted, maskedMaps, truth) = interpreter.Gems(x, colour, m.Rows.Select(r => r.Stage).ToList(), pr.GetValue(masked));
            var outDir = Path.GetFullPath(pr.GetValue(output)!);
            Directory.CreateDirectory(outDir);
            var shown = Enumerable.Range(lo, hi - lo + 1).ToList();
            var columns = new List<ExpressionMaps> { predicted };
            if (truth.Stages.Any()) columns.Add(truth);
            StageInterpreter.GemGrid(shown, columns).Save(Path.Combine(outDir, "gem.png"));
            if (pr.GetValue(masked)) StageInterpreter.GemGrid(shown, new[] { maskedMaps }).Save(Path.Combine(outDir, "gem-masked.png"));
            new RunDirectory(outDir).WriteJson("gems.json", new
            {
                columns = truth.Stages.Any() ? new[] { "predicted stage", "true stage" } : new[] { "predicted stage" },
                images_by_predicted_stage = shown.ToDictionary(s => s.ToString(CultureInfo.InvariantCulture), predicted.Images),
                images_by_true_stage = shown.ToDictionary(s => s.ToString(CultureInfo.InvariantCulture), truth.Images),
                legend = "share of genes active (stain above threshold) at each pixel",
            });
            AnsiConsole.MarkupLine($"GEMs of {m.Rows.Count} images -> {Markup.Escape(Path.Combine(outDir, "gem.png"))}");
            return 0;
        }));
        return cmd;
    }
}
