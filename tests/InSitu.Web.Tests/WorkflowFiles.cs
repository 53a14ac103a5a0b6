using InSitu.Torch;

namespace InSitu.Web.Tests;

/// <summary>Tiny inputs of the wired workflows, made on demand inside the shared test data: a segmentation project and bags.</summary>
public static class WorkflowFiles
{
    public const int SegWidth = 96, SegHeight = 64;

    /// <summary>
    /// DATA/NAME/images/cells.png: grey, dark on the left half and bright on the right (with a little texture), and its
    /// label PNG with a stroke of class 0 on the left and of class 1 on the right (the rest 255, not annotated).
    /// </summary>
    public static string SegProject(WebTestData data, string name)
    {
        var images = Path.Combine(data.Data, name, "images");
        if (Directory.Exists(images)) return $"data/{name}/images";
        Directory.CreateDirectory(images);
        var px = new byte[SegWidth * SegHeight];
        for (int y = 0; y < SegHeight; y++)
            for (int x = 0; x < SegWidth; x++)
                px[y * SegWidth + x] = (byte)((x < SegWidth / 2 ? 50 : 200) + ((x * 7 + y * 13) % 20));
        Write(Path.Combine(images, "cells.png"), px, SegHeight, SegWidth);
        var labels = Enumerable.Repeat((byte)255, SegWidth * SegHeight).ToArray();
        for (int y = 20; y < 44; y++)
            for (int x = 0; x < 12; x++)
            {
                labels[y * SegWidth + 10 + x] = 0;
                labels[y * SegWidth + 70 + x] = 1;
            }
        Directory.CreateDirectory(Path.Combine(data.Data, name, "labels"));
        Write(Path.Combine(data.Data, name, "labels", "cells.png"), labels, SegHeight, SegWidth);
        return $"data/{name}/images";
    }

    /// <summary>Settings that train in seconds on 2 cores: 32-pixel patches, 8 per epoch, two epochs, 64-pixel tiles.</summary>
    public const string QuickSettings =
        "{\"patch_size\": 32, \"patches_per_epoch\": 8, \"training\": {\"epochs\": 2, \"batch_size\": 4}, " +
        "\"tile_size\": 64, \"tile_margin\": 8, \"tile_blend\": 8}";

    public const string Predictions = "runs/bagpred/bags.csv";

    /// <summary>
    /// DATA/NAME/manifest.csv: three bags by gene and range (geneA_2 with two images and a term, geneB_3 and geneC_4 with
    /// one image and none), and RUNS/bagpred/bags.csv as `bags predict` writes it for them.
    /// </summary>
    public static string Bags(WebTestData data, string name)
    {
        var folder = Path.Combine(data.Data, name);
        if (!Directory.Exists(folder))
        {
            Directory.CreateDirectory(folder);
            var grey = Enumerable.Range(0, 40 * 30).Select(i => (byte)(i % 251)).ToArray();
            foreach (var i in new[] { "a1", "a2", "b1", "c1" }) Write(Path.Combine(folder, $"{i}.png"), grey, 30, 40);
            File.WriteAllText(Path.Combine(folder, "manifest.csv"),
                "path,label,stage,range,gene,view,terms,bag,split\n" +
                "a1.png,,,2,geneA,lateral,ventral ectoderm,,\n" +
                "a2.png,,,2,geneA,lateral,,,\n" +
                "b1.png,,,3,geneB,dorsal,,,\n" +
                "c1.png,,,4,geneC,lateral,,,\n");
        }
        var predictions = Path.Combine(data.Runs, "bagpred", "bags.csv");
        if (!File.Exists(predictions))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(predictions)!);
            File.WriteAllText(predictions,
                "bag,range,images,predicted_terms,dorsal ectoderm,ventral ectoderm,yolk\n" +
                "geneA_2,2,2,ventral ectoderm,0.1,0.9,0.2\n" +
                "geneB_3,3,1,dorsal ectoderm;yolk,0.8,0.3,0.6\n" +
                "geneC_4,4,1,,0.2,0.1,0.4\n");
        }
        return $"data/{name}/manifest.csv";
    }

    private static void Write(string path, byte[] px, int h, int w)
    {
        using var t = Tensor.FromArray(px, h, w);
        ImageIO.Write(path, t);
    }
}
