using System.Globalization;
using InSitu.Common;
using InSitu.Data;
using InSitu.Models;
using InSitu.Torch;
using InSitu.Torch.Onnx;

namespace InSitu.Workflows.Stages;

/// <summary>
/// `model export --onnx`: a trained stage model as an ONNX file that takes images as `stage predict` reads them, pixels
/// scaled to [0, 1] at the model's size, and returns one logit per stage 4..17. The loader's normalisation is part of
/// the file, so no user has to know it. Batch norms are folded into the convolutions first, as `stage predict` runs
/// them, which leaves Conv, Relu, Add, AveragePool, Flatten, MatMul and Add nodes (opset 17) and a free batch dimension.
/// </summary>
public static class StageModelExport
{
    public const string InputName = "image";
    public const string OutputName = "logits";
    public const string BatchDimension = "batch";

    /// <summary>The check of an export: how far the runtime's logits are from InSitu's on the same random images.</summary>
    /// <param name="Runtime">The runtime that ran the file.</param>
    /// <param name="Images">Random images run, in batches of <see cref="CheckBatches"/>.</param>
    /// <param name="MaxAbsDifference">Largest absolute difference between a logit of the runtime and InSitu's.</param>
    /// <param name="MaxAbsLogit">Largest absolute logit of InSitu's, the scale of the difference.</param>
    /// <param name="Tolerance">The largest difference accepted: <see cref="RelativeTolerance"/> x max(1, MaxAbsLogit).</param>
    public sealed record Check(string Runtime, int Images, double MaxAbsDifference, double MaxAbsLogit, double Tolerance);

    public sealed record Result(string Path, StageModelInfo Info, OnnxGraph Graph, long Bytes, Check? Check);

    /// <summary>Batch sizes of the check: one image alone and a batch, so the free batch dimension is exercised too.</summary>
    public static IReadOnlyList<int> CheckBatches { get; } = [1, 3];

    /// <summary>float32 engines (oneDNN here, the runtime's own kernels there) sum in different orders; this bounds the
    /// difference relative to the logits' scale.</summary>
    public const double RelativeTolerance = 1e-4;

    /// <summary>
    /// Writes <paramref name="modelPath"/> (a run directory or *.model.json) as <paramref name="onnxPath"/>. With a
    /// <paramref name="runner"/>, the written file is first run on random images and compared with InSitu's own
    /// eval-mode network (before folding); a file whose logits differ by more than the tolerance is not kept.
    /// </summary>
    public static Result Export(string modelPath, string onnxPath, string producerVersion, IOnnxRunner? runner = null)
    {
        var outFull = Path.GetFullPath(onnxPath);
        if (Directory.Exists(outFull))
            throw new IOException($"cannot write '{onnxPath}': it is a folder; name the .onnx file to write");
        var folder = Path.GetDirectoryName(outFull)!;
        if (File.Exists(folder))
            throw new IOException($"cannot write '{onnxPath}': '{folder}' is a file, not a folder");
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"cannot write '{onnxPath}': its folder '{folder}' does not exist");
        var (net, info) = StageModelInfo.Load(modelPath);
        using var _ = net;
        net.Eval();
        List<(float[] pixels, long[] shape)> images = runner is null ? []
            : CheckBatches.Select((n, i) => RandomImages(info.Config, n, (ulong)i + 1)).ToList();
        var reference = images.Select(b => InSituLogits(net, info.Config, b.pixels, b.shape)).ToList();
        net.FuseForInference();
        var spec = Spec(info);
        var graph = OnnxExport.Build(net, spec);
        var bytes = graph.ToModelProto(OnnxExport.Producer, producerVersion);
        Check? check = null;
        try
        {
            AtomicFile.Write(outFull, tmp =>
            {
                File.WriteAllBytes(tmp, bytes);
                if (runner is not null) check = Compare(runner, tmp, images, reference, onnxPath);
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot write '{onnxPath}': {e.Message}", e);
        }
        return new Result(outFull, info, graph, bytes.Length, check);
    }

    /// <summary>What the file promises: its input and output, the normalisation inside, and text saying so.</summary>
    public static OnnxModelSpec Spec(StageModelInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var c = info.Config;
        var loader = c.Loader();
        int channels = c.Gray ? 1 : 3;
        var stages = string.Join(",", PreciseStage.All.Select(s => s.ToString()));
        var stageRange = $"{PreciseStage.First}..{PreciseStage.Last}";
        string Numbers(float[] v) => string.Join(",", v.Select(x => x.ToString("R", CultureInfo.InvariantCulture)));
        return new OnnxModelSpec(InputName, [OnnxDimension.Free(BatchDimension), channels, c.Height, c.Width],
            OutputName, [OnnxDimension.Free(BatchDimension), PreciseStage.Count])
        {
            Mean = loader.Mean,
            Std = loader.Std,
            DocString = $"InSitu precise-stage model ({info.Method}, {EnumNames.Name(c.Model)} ResNet of width {c.BaseWidth}). " +
                $"Input '{InputName}': float32 [{BatchDimension}, {channels}, {c.Height}, {c.Width}], " +
                $"{(c.Gray ? "grey" : "RGB")} pixels scaled to [0, 1] (8-bit values / 255, 16-bit / 65535), the image resized to " +
                $"{c.Width}x{c.Height} (width x height); the model normalises them itself, (x - mean) / std with mean " +
                $"{Numbers(loader.Mean)} and std {Numbers(loader.Std)}. Output '{OutputName}': [{BatchDimension}, {PreciseStage.Count}], " +
                $"one logit per stage {stageRange} in order; softmax gives the probabilities `insitu stage predict` writes.",
            Metadata =
            [
                new("insitu_method", info.Method),
                new("insitu_network", EnumNames.Name(c.Model)),
                new("insitu_base_width", c.BaseWidth.ToString(CultureInfo.InvariantCulture)),
                new("input_pixel_range", "0,1"),
                new("input_color", c.Gray ? "grey" : "rgb"),
                new("input_mean", Numbers(loader.Mean)),
                new("input_std", Numbers(loader.Std)),
                new("output_stages", stages),
            ],
        };
    }

    /// <summary>n uniform random images in [0, 1] of the model's input shape.</summary>
    private static (float[] pixels, long[] shape) RandomImages(StageConfig c, int n, ulong seed)
    {
        var random = new SeededRandom(seed);
        long[] shape = [n, c.Gray ? 1 : 3, c.Height, c.Width];
        var pixels = new float[shape.Aggregate(1L, (a, b) => a * b)];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = random.Uniform();
        return (pixels, shape);
    }

    /// <summary>The logits InSitu computes for images in [0, 1]: the loader's normalisation, then the network.</summary>
    private static float[] InSituLogits(ResNet net, StageConfig c, float[] pixels, long[] shape)
    {
        var loader = c.Loader();
        int channels = (int)shape[1], plane = c.Height * c.Width, image = channels * plane;
        var normalised = new float[pixels.Length];
        for (int i = 0; i < shape[0]; i++)
            ImagePipeline.Normalise(pixels.AsSpan(i * image, image).ToArray(), channels, plane, loader, normalised, i * image);
        using var scope = TorchRuntime.NewDisposeScope();
        using var inference = Autograd.InferenceMode();
        return net.Forward(Tensor.FromArray(normalised, shape)).ToFloatArray();
    }

    private static Check Compare(IOnnxRunner runner, string file, List<(float[] pixels, long[] shape)> images, List<float[]> reference,
        string shownPath)
    {
        double maxDiff = 0, maxLogit = 0;
        for (int b = 0; b < images.Count; b++)
        {
            float[] theirs;
            try
            {
                theirs = runner.Run(file, InputName, images[b].pixels, images[b].shape);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidOperationException($"{runner.Name} could not run the exported '{shownPath}' (not kept): " +
                    e.Message, e);
            }
            var ours = reference[b];
            if (theirs.Length != ours.Length)
                throw new InvalidDataException($"{runner.Name} returned {theirs.Length} values for the exported '{shownPath}' " +
                    $"where InSitu has {ours.Length}; the file was not kept");
            for (int i = 0; i < ours.Length; i++)
            {
                maxDiff = Math.Max(maxDiff, Math.Abs((double)theirs[i] - ours[i]));
                if (double.IsNaN(theirs[i])) maxDiff = double.NaN;
                maxLogit = Math.Max(maxLogit, Math.Abs((double)ours[i]));
            }
        }
        var tolerance = RelativeTolerance * Math.Max(1, maxLogit);
        if (!(maxDiff <= tolerance))
            throw new InvalidDataException($"{runner.Name}'s logits for the exported '{shownPath}' differ from InSitu's by " +
                $"{maxDiff:G3} (tolerance {tolerance:G3}); the file was not kept");
        return new Check(runner.Name, images.Sum(i => (int)i.shape[0]), maxDiff, maxLogit, tolerance);
    }
}
