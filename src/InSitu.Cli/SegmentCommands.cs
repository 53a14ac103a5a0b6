using System.CommandLine;
using InSitu.Synthesis;

namespace InSitu.Cli;

/// <summary>`insitu segment train|predict|suggest|evaluate|simulate|synth`: segmentation from a handful of annotated patches.</summary>
public static class SegmentCommands
{
    public static Command Build()
    {
        var segment = new Command("segment",
            "Segmentation from a few partially annotated patches: a recurrent U-Net, active annotation, tiled inference");
        segment.Subcommands.Add(Synth());
        return segment;
    }

    private static Command Synth()
    {
        var cmd = new Command("synth",
            "Generate an EM-like tissue image (two cell types, membranes, nuclei, organelles, noise, uneven light) with full " +
            "ground truth: image.png and truth.png (0 matrix, 1 large cell, 2 small cell)");
        var outDir = new Option<string>("--out") { Description = "Folder to write image.png, truth.png and palette.json into", Required = true };
        var width = new Option<int>("--width") { Description = "Width in pixels", DefaultValueFactory = _ => 3840 };
        var height = new Option<int>("--height") { Description = "Height in pixels", DefaultValueFactory = _ => 2920 };
        var scale = new Option<float>("--scale")
        {
            Description = "Multiplies every length (cells, membranes, organelles): 0.5 draws the same tissue at half the magnification",
            DefaultValueFactory = _ => 1f
        };
        var seed = new Option<int>("--seed") { Description = "Random seed: the same seed gives the same image", DefaultValueFactory = _ => 1 };
        foreach (var o in new Option[] { outDir, width, height, scale, seed }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var options = new EmCellOptions
            {
                Width = pr.GetValue(width), Height = pr.GetValue(height), Scale = pr.GetValue(scale), Seed = pr.GetValue(seed)
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
