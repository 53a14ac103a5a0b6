using InSitu.Data;
using InSitu.Synthesis;
using InSitu.Tests;
using InSitu.Torch;
using InSitu.Workflows.Stages;

namespace InSitu.Web.Tests;

/// <summary>
/// Tiny data for the web tests, made once per test class: a demo-like dataset (simulated 128x320 images, a few per
/// stage, as many range-only ones) under runs/demo/data, a small stage model trained on it (runs/m1), a segmentation
/// folder with a large and a small image, a file outside the roots and links pointing in and out.
/// </summary>
public sealed class WebTestData : IDisposable
{
    public static StageConfig Tiny => StageConfig.Demo with
    {
        Coarse = StageConfig.Demo.Coarse with { Epochs = 1, Milestones = [1] },
        Fine = StageConfig.Demo.Fine with { Epochs = 1, Milestones = [1] },
        Feature = StageConfig.Demo.Feature with { Epochs = 1, Milestones = [1] },
        ReferenceSets = 4,
        GaborLambdas = [0.1],
        BaseWidth = 4,
    };

    public WebTestData()
    {
        Root = Directory.CreateTempSubdirectory("insitu-web").FullName;
        Data = Path.Combine(Root, "data");
        Runs = Path.Combine(Root, "runs");
        Directory.CreateDirectory(Data);
        var tables = BdgpLabelTables.Load(Path.Combine(TestPaths.SharedData, "bdgp-annotations"));
        Manifest = new StageDemo(6, 1).Simulate(tables, Path.Combine(Runs, "demo", "data"));
        StageTraining.Train(Manifest, Tiny, StageMethods.Plain, Path.Combine(Runs, "m1"), resume: false);
        // segmentation: a large image (several tiles) and a small one
        var seg = Path.Combine(Data, "seg", "images");
        Directory.CreateDirectory(seg);
        WriteGradient(Path.Combine(seg, "big.png"), 700, 520);
        WriteGradient(Path.Combine(seg, "small.png"), 64, 48);
        // outside the roots, and links to it
        Outside = Path.Combine(Root, "outside");
        Directory.CreateDirectory(Outside);
        File.WriteAllText(Path.Combine(Outside, "secret.txt"), Secret);
        File.CreateSymbolicLink(Path.Combine(Data, "out.txt"), Path.Combine(Outside, "secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(Data, "outdir"), Outside);
        File.WriteAllText(Path.Combine(Data, "notes.txt"), "inside");
        File.CreateSymbolicLink(Path.Combine(Data, "in.txt"), Path.Combine(Data, "notes.txt"));
    }

    public string Root { get; }
    public string Data { get; }
    public string Runs { get; }
    public string Outside { get; }
    public Manifest Manifest { get; }
    /// <summary>What the file outside the roots holds: no response may show it.</summary>
    public const string Secret = "TOP-SECRET-CONTENT";
    public const string ManifestId = "runs/demo/data/manifest.csv";
    public const string ModelId = "runs/m1";
    public string ManifestFile => Path.Combine(Runs, "demo", "data", "manifest.csv");

    public WebOptions Options(string? token = null, string host = "127.0.0.1") =>
        new() { Data = Data, Runs = Runs, Host = host, Port = 0, Token = token, ResumeJobs = false };

    private static void WriteGradient(string path, int w, int h)
    {
        var px = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int o = (y * w + x) * 3;
                (px[o], px[o + 1], px[o + 2]) = ((byte)(x * 255 / w), (byte)(y * 255 / h), 128);
            }
        using var t = Tensor.FromArray(px, h, w, 3);
        ImageIO.Write(path, t);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, true);
        }
        catch (IOException)
        {
            // a server still closing a file: the temp folder goes with the machine
        }
    }
}
