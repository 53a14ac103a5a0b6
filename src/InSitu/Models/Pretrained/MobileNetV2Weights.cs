using System.Globalization;
using System.Text.Json.Nodes;
using InSitu.Torch;

namespace InSitu.Models.Pretrained;

/// <summary>
/// nsfwjs's Keras MobileNetV2 as InSitu's <see cref="MobileNetV2"/>: the topology is checked against what the model
/// implements, and each TF.js tensor is moved to PyTorch's layout under its Keras layer name (convolution kernels
/// [kh, kw, in, out] to [out, in, kh, kw]; depthwise kernels [kh, kw, in, 1] to [in, 1, kh, kw]; dense kernels
/// [in, out] to [out, in]; batch norm gamma, beta, moving_mean, moving_variance to weight, bias, running_mean,
/// running_var).
/// </summary>
public static class MobileNetV2Weights
{
    /// <summary>nsfwjs's class names, the order of its outputs.</summary>
    public static readonly string[] NsfwjsClasses = ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"];

    /// <summary>The network with the package's weights, and the record that says what they are.</summary>
    public static (MobileNetV2 model, WeightsRecord record) FromPackage(NsfwjsPackage package)
    {
        var firstTrainable = CheckTopology(package.Model, package.Source);
        var tensors = package.DecodeWeights();
        var head = tensors.FirstOrDefault(t => t.Name == "dense_3/kernel")
            ?? throw new InvalidDataException($"{package.Source}: the model has no dense_3/kernel");
        var model = new MobileNetV2(head.Shape[1]);
        try
        {
            Load(model, tensors, package.Source);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        var classes = head.Shape[1] == NsfwjsClasses.Length ? NsfwjsClasses : [];
        var record = new WeightsRecord(
            PretrainedArchitecture.MobileNetV2.Name, head.Shape[1], classes, package.Source,
            $"{NsfwjsPackage.Spec} (MIT licence), dist/models/mobilenet_v2; {tensors.Count} tensors, uint8-quantised",
            $"Keras MobileNetV2 (width 1.0) that nsfwjs fine-tuned from Keras's ImageNet weights with every layer below " +
            $"{firstTrainable} frozen: those keep their ImageNet values; {firstTrainable} and above, and the {head.Shape[1]}-class " +
            "head (Drawing, Hentai, Neutral, Porn, Sexy; not ImageNet's), carry nsfwjs's training",
            "RGB scaled to [0, 1] (pixels / 255), 224x224 for the head; tap points take any size",
            DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        return (model, record);
    }

    /// <summary>Copies the TF.js tensors into <paramref name="model"/>; every parameter must be covered, with its shape.</summary>
    public static void Load(MobileNetV2 model, IReadOnlyList<TfjsTensor> tensors, string source)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var t in tensors)
        {
            var (key, value) = ToTorch(t, source);
            if (!state.TryAdd(key, value)) throw new InvalidDataException($"{source}: {t.Name} appears twice");
        }
        // Keras keeps no batch counter; PyTorch's starts at zero.
        foreach (var (key, own) in model.StateDict())
            if (key.EndsWith(".num_batches_tracked", StringComparison.Ordinal) && !state.ContainsKey(key)) state[key] = own;
        try
        {
            model.LoadStateDict(state);
        }
        catch (TorchException e)
        {
            throw new InvalidDataException($"{source}: not the MobileNetV2 InSitu implements: {e.Message}", e);
        }
    }

    private static (string key, Tensor value) ToTorch(TfjsTensor t, string source)
    {
        var shape = t.Shape.Select(d => (long)d).ToArray();
        var raw = Tensor.FromArray(t.Values, shape);
        var (param, value) = (t.Parameter, shape.Length) switch
        {
            ("kernel", 4) => ("weight", raw.Permute(3, 2, 0, 1).Contiguous()),
            ("depthwise_kernel", 4) => ("weight", raw.Permute(2, 3, 0, 1).Reshape(shape[2] * shape[3], 1, shape[0], shape[1])),
            ("kernel", 2) => ("weight", raw.Transpose(0, 1).Contiguous()),
            ("bias", 1) => ("bias", raw),
            ("gamma", 1) => ("weight", raw),
            ("beta", 1) => ("bias", raw),
            ("moving_mean", 1) => ("running_mean", raw),
            ("moving_variance", 1) => ("running_var", raw),
            _ => throw new InvalidDataException($"{source}: weight {t.Name} of shape [{string.Join(", ", t.Shape)}] has no " +
                "place in MobileNetV2"),
        };
        return ($"{t.Layer}.{param}", value);
    }

    /// <summary>
    /// Checks the assumptions <see cref="MobileNetV2"/> makes about the Keras model (224x224x3 input, batch-norm epsilon
    /// 1e-3, (0, 1) zero padding before each stride-2 convolution, ReLU6) and returns the first trainable weighted layer.
    /// </summary>
    private static string CheckTopology(JsonObject model, string source)
    {
        var layers = model["modelTopology"]?["model_config"]?["config"]?["layers"] as JsonArray
            ?? throw new InvalidDataException($"{source}: model.min.js has no modelTopology.model_config.config.layers");
        string? firstTrainable = null;
        foreach (var layer in layers)
        {
            var cls = layer?["class_name"]?.GetValue<string>();
            var cfg = layer?["config"];
            var name = layer?["name"]?.GetValue<string>() ?? "?";
            bool ok = cls switch
            {
                "InputLayer" => cfg?["batch_input_shape"]?.ToJsonString() == "[null,224,224,3]",
                "BatchNormalization" => Math.Abs((cfg?["epsilon"]?.GetValue<double>() ?? 0) - 1e-3) < 1e-12,
                "ZeroPadding2D" => cfg?["padding"]?.ToJsonString() == "[[0,1],[0,1]]",
                "ReLU" => cfg?["max_value"]?.GetValue<double>() == 6,
                _ => true,
            };
            if (!ok) throw new InvalidDataException($"{source}: layer {name} ({cls}) is configured differently from InSitu's MobileNetV2");
            bool weighted = cls is "Conv2D" or "DepthwiseConv2D" or "BatchNormalization" or "Dense";
            if (weighted && firstTrainable is null && cfg?["trainable"]?.GetValue<bool>() != false) firstTrainable = name;
        }
        return firstTrainable ?? "(none)";
    }
}
