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
        return model;
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
