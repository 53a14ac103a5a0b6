using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using InSitu.Models;

namespace InSitu.Tests.Models.Pretrained;

/// <summary>
/// An nsfwjs-like npm tarball built from a <see cref="MobileNetV2"/>'s own weights, written the way nsfwjs ships its
/// model (browserify bundles, minified object literal, uint8-quantised tensors in Keras layout, base64 shard), so
/// that the whole `weights get` path runs without the network.
/// </summary>
public static class SyntheticNsfwjs
{
    public const string Preamble =
        "!function(e){if(\"object\"==typeof exports&&\"undefined\"!=typeof module)module.exports=e();else{(\"undefined\"!=" +
        "typeof window?window:this).model=e()}}(function(){return function e(a,n,i){return a}({1:[function(e,a,n){a.exports=";

    public const string Ending = "},{}]},{},[1])(1)});";

    /// <summary>A number as a minifier writes it: 0.5 as .5, -0.25 as -.25.</summary>
    public static string Js(double v)
    {
        var s = v.ToString("R", CultureInfo.InvariantCulture);
        return s.StartsWith("0.", StringComparison.Ordinal) ? s[1..] : s.StartsWith("-0.", StringComparison.Ordinal) ? "-" + s[2..] : s;
    }

    /// <summary>Keras's name and layout of one of the model's state-dict entries (null for PyTorch's batch counters).</summary>
    public static (string name, Tensor keras)? ToKeras(string key, Tensor t)
    {
        var dot = key.LastIndexOf('.');
        var (layer, param) = (key[..dot], key[(dot + 1)..]);
        bool bn = layer.EndsWith("_BN", StringComparison.Ordinal) || layer.StartsWith("bn_", StringComparison.Ordinal) ||
            layer.EndsWith("_bn", StringComparison.Ordinal);
        return (param, t.Dim) switch
        {
            ("num_batches_tracked", _) => null,
            ("weight", 4) when layer.EndsWith("depthwise", StringComparison.Ordinal) =>
                ($"{layer}/depthwise_kernel", t.Permute(2, 3, 0, 1)),
            ("weight", 4) => ($"{layer}/kernel", t.Permute(2, 3, 1, 0)),
            ("weight", 2) => ($"{layer}/kernel", t.Transpose(0, 1)),
            ("weight", 1) when bn => ($"{layer}/gamma", t),
            ("bias", 1) when bn => ($"{layer}/beta", t),
            ("bias", 1) => ($"{layer}/bias", t),
            ("running_mean", 1) => ($"{layer}/moving_mean", t),
            ("running_var", 1) => ($"{layer}/moving_variance", t),
            _ => throw new ArgumentException(key),
        };
    }

    /// <summary>
    /// The tarball, and for each state-dict key the values the decoder must produce (the model's own values after
    /// uint8 quantisation: min + scale * round((v - min) / scale), elementwise, so layout does not matter).
    /// </summary>
    public static byte[] Tarball(MobileNetV2 model, out Dictionary<string, float[]> expected)
    {
        expected = new Dictionary<string, float[]>();
        var manifest = new StringBuilder();
        var shard = new List<byte>();
        var layers = new StringBuilder("{name:\"input_1\",class_name:\"InputLayer\",config:{batch_input_shape:[null,224,224,3]," +
            "dtype:\"float32\",sparse:!1,name:\"input_1\"},inbound_nodes:[]},{name:\"Conv1_pad\",class_name:\"ZeroPadding2D\"," +
            "config:{name:\"Conv1_pad\",trainable:!1,padding:[[0,1],[0,1]]}}");
        var seenLayers = new HashSet<string>();
        bool trainable = false;
        foreach (var (key, t) in model.StateDict())
        {
            if (ToKeras(key, t) is not { } k) continue;
            using var keras = k.keras.Contiguous();
            var values = keras.ToFloatArray();
            double min = values.Min(), max = values.Max();
            double scale = max > min ? (max - min) / 255 : 1;
            var q = values.Select(v => (byte)Math.Clamp(Math.Round((v - min) / scale), 0, 255)).ToArray();
            shard.AddRange(q);
            // the same quantisation in PyTorch's order
            expected[key] = t.Contiguous().ToFloatArray()
                .Select(v => (float)(Math.Clamp(Math.Round((v - min) / scale), 0, 255) * scale + min)).ToArray();
            if (manifest.Length > 0) manifest.Append(',');
            manifest.Append(CultureInfo.InvariantCulture,
                $"{{name:\"{k.name}\",shape:[{string.Join(",", keras.Shape)}],dtype:\"float32\"," +
                $"quantization:{{min:{Js(min)},scale:{Js(scale)},dtype:\"uint8\"}}}}");
            var layer = k.name[..k.name.IndexOf('/', StringComparison.Ordinal)];
            if (!seenLayers.Add(layer)) continue;
            trainable |= layer == "block_11_expand";
            var cls = k.name.EndsWith("depthwise_kernel", StringComparison.Ordinal) ? "DepthwiseConv2D"
                : k.name.EndsWith("gamma", StringComparison.Ordinal) ? "BatchNormalization"
                : layer.StartsWith("dense", StringComparison.Ordinal) ? "Dense" : "Conv2D";
            layers.Append(CultureInfo.InvariantCulture, $",{{name:\"{layer}\",class_name:\"{cls}\",config:{{name:\"{layer}\"," +
                $"trainable:{(trainable ? "!0" : "!1")}{(cls == "BatchNormalization" ? ",epsilon:.001" : "")}}}}}");
        }
        var modelJs = Preamble + "{modelTopology:{keras_version:\"2.2.4\",backend:\"tensorflow\",model_config:{class_name:\"Model\"," +
            $"config:{{name:\"model_1\",layers:[{layers}]}}}}}},weightsManifest:[{{paths:[\"group1-shard1of1\"],weights:[{manifest}]}}]}}" +
            Ending;
        var shardJs = Preamble + "\"" + Convert.ToBase64String(shard.ToArray()) + "\"" + Ending;
        return Pack(new()
        {
            ["package/package.json"] = "{\"name\":\"nsfwjs\",\"version\":\"4.4.0\"}",
            ["package/dist/models/mobilenet_v2/model.min.js"] = modelJs,
            ["package/dist/models/mobilenet_v2/group1-shard1of1.min.js"] = shardJs
        });
    }

    public static byte[] Pack(Dictionary<string, string> files)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax))
            foreach (var (name, text) in files)
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name)
                {
                    DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)),
                });
        return buffer.ToArray();
    }

    public static string IntegrityOf(byte[] bytes) => "sha512-" + Convert.ToBase64String(SHA512.HashData(bytes));
}
