using System.CommandLine;
using System.Globalization;
using InSitu.Workflows.Stages;

namespace InSitu.Cli;

/// <summary>`insitu model export`: trained models for other programs.</summary>
public static class ModelCommands
{
    public static Command Build()
    {
        var model = new Command("model", "Trained models for use outside InSitu");
        model.Subcommands.Add(Export());
        model.Subcommands.Add(Summary());
        return model;
    }

    private static Command Summary()
    {
        var cmd = new Command("summary",
            "Parameters and FLOPs (multiply-adds of convolutions and fully connected layers, per image) of a network by name, or of " +
            "a trained bag model");
        var name = new Argument<string>("network")
        {
            Description = $"One of {string.Join(", ", Models.NetworkCatalog.All.Select(n => n.Name))}, or a `bags train` run directory"
        };
        var input = new Option<string?>("--input") { Description = "Input C x H x W, e.g. 1x112x336 (default: the network's own)" };
        var classes = new Option<int>("--classes") { Description = "Outputs of the head", DefaultValueFactory = _ => 1000 };
        cmd.Arguments.Add(name);
        cmd.Options.Add(input);
        cmd.Options.Add(classes);
        cmd.SetAction(pr =>
        {
            var what = pr.GetValue(name)!;
            if (Models.NetworkCatalog.Find(what) is null && (Directory.Exists(what) || File.Exists(what)))
            {
                BagModelSummary(what);
                return 0;
            }
            var shape = pr.GetValue(input) is { } text ? ParseShape(text) : null;
            var (network, c) = Models.NetworkCatalog.Summarise(what, shape, pr.GetValue(classes));
            Console.WriteLine($"{network.Name}: {network.Description}");
            Print(c, pr.GetValue(classes));
            return 0;
        });
        return cmd;
    }

    private static long[] ParseShape(string text)
    {
        var parts = text.Split('x', 'X', ',');
        var shape = new long[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!long.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out shape[i]) || shape[i] < 1)
                throw new ArgumentException($"--input '{text}' is not C x H x W with positive sizes, e.g. 3x224x224");
        if (shape.Length != 3) throw new ArgumentException($"--input '{text}' is not C x H x W, e.g. 3x224x224");
        return shape;
    }

    private static void Print(Models.ModelComplexity c, int? classes)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"input {string.Join("x", c.InputShape)}{(classes is { } k ? $", {k} outputs" : "")}"));
        foreach (var part in c.Parts)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {part.Name,-16} {part.Parameters,12:N0} parameters {part.MultiplyAdds / 1e6,12:F1} M FLOPs"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"parameters: {c.Parameters:N0} ({c.Parameters / 1e6:F2} M)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"FLOPs: {c.MultiplyAdds / 1e9:F3} G multiply-adds per image ({c.MultiplyAdds:N0})"));
    }

    private static void BagModelSummary(string run)
    {
        using var model = Workflows.Bags.TrainedBagModel.Load(run);
        var config = model.Info.Config;
        Console.WriteLine($"bag model: {Common.EnumNames.Name(config.Backbone)} CNN over {config.Height}x{config.Width} grey images, " +
            $"{model.Attributes.Count} attributes{(model.Lstm is null ? "" : $", BiLSTM of hidden size {config.LstmHidden}")}");
        Print(Models.ModelComplexity.Measure(model.Cnn, new long[] { 1, config.Height, config.Width }), model.Attributes.Count);
        if (model.Lstm is { } lstm)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"bag model: {lstm.ParameterCount():N0} parameters ({lstm.ParameterCount() / 1e6:F2} M)"));
    }

    private static Command Export()
    {
        var cmd = new Command("export",
            "Write a trained stage model as an ONNX file (opset 17): input 'image' [batch, C, H, W] with pixels in [0, 1] " +
            "(the normalisation is inside), output 'logits' [batch, 14] for stages 4..17");
        var model = new Argument<string>("model")
        {
            Description = "Run directory of `insitu stage train`, or a seed-N/METHOD.model.json of a comparison"
        };
        var onnx = new Option<string>("--onnx") { Description = "ONNX file to write", Required = true };
        var check = new Option<bool>("--check")
        {
            Description = "Run the written file in ONNX Runtime on random images and compare its logits with InSitu's " +
                $"(the file is kept only when they agree within {StageModelExport.RelativeTolerance:G} x the largest logit)"
        };
        cmd.Arguments.Add(model);
        cmd.Options.Add(onnx);
        cmd.Options.Add(check);
        cmd.SetAction(pr =>
        {
            using var runner = pr.GetValue(check) ? new OnnxRuntimeRunner() : null;
            var result = StageModelExport.Export(pr.GetValue(model)!, pr.GetValue(onnx)!, Cli.Version, runner);
            var info = result.Info;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{info.Method} model ({result.Graph.Nodes.Count} nodes, {result.Graph.Initializers.Sum(i => i.Values.Length)} " +
                $"weights, {result.Bytes / 1e6:F1} MB) -> {result.Path}"));
            if (result.Check is { } c)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"check: {c.Runtime} on {c.Images} random images: max abs logit difference {c.MaxAbsDifference:0.00e+00} " +
                    $"(largest logit {c.MaxAbsLogit:F3}, tolerance {c.Tolerance:0.00e+00})"));
            return 0;
        });
        return cmd;
    }
}
