using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json.Nodes;

namespace InSitu.Models.Pretrained;

/// <summary>One weight tensor of a TF.js model, by its manifest name (e.g. <c>block_1_expand/kernel</c>), in Keras layout.</summary>
public sealed record TfjsTensor(string Name, int[] Shape, float[] Values)
{
    public string Layer => Name[..Name.LastIndexOf('/')];

    public string Parameter => Name[(Name.LastIndexOf('/') + 1)..];
}

/// <summary>
/// Decodes the weights of a TF.js layers model from its weights manifest and shard bytes, as TF.js's
/// io.decodeWeights does: tensors lie one after the other across a group's shards in manifest order; a quantised
/// tensor holds one uint8 or uint16 q per element, whose value is min + scale * q computed in double precision and
/// rounded once to float32 (TF.js computes q * scale + min in JavaScript numbers and stores it in a Float32Array);
/// float16-quantised tensors hold IEEE halves; others raw little-endian float32.
/// </summary>
public static class TfjsWeights
{
    /// <summary>
    /// Decodes every tensor of <paramref name="manifest"/> (the weightsManifest array) from the shards, which
    /// <paramref name="shard"/> returns by path.
    /// </summary>
    public static List<TfjsTensor> Decode(JsonArray manifest, Func<string, byte[]> shard)
    {
        var result = new List<TfjsTensor>();
        foreach (var group in manifest)
        {
            var paths = Array(group, "paths").Select(p => p?.GetValue<string>() ?? throw Bad("a shard path is null")).ToList();
            var bytes = paths.SelectMany(shard).ToArray();
            int offset = 0;
            foreach (var spec in Array(group, "weights"))
            {
                var tensor = DecodeOne(spec ?? throw Bad("a weight entry is null"), bytes, ref offset);
                result.Add(tensor);
            }
            if (offset != bytes.Length)
                throw Bad($"the shards of {string.Join(", ", paths)} hold {bytes.Length} bytes but the manifest describes {offset}");
        }
        return result;
    }

    private static TfjsTensor DecodeOne(JsonNode spec, byte[] bytes, ref int offset)
    {
        var name = spec["name"]?.GetValue<string>() ?? throw Bad("a weight has no name");
        var shape = Array(spec, "shape").Select(d => (int)(d?.GetValue<double>() ?? throw Bad($"{name}: a null dimension"))).ToArray();
        long n = shape.Aggregate(1L, (a, b) => a * b);
        if (shape.Any(d => d < 0) || n > int.MaxValue) throw Bad($"{name}: bad shape [{string.Join(", ", shape)}]");
        var dtype = spec["dtype"]?.GetValue<string>() ?? "float32";
        if (dtype != "float32") throw Bad($"{name}: dtype {dtype} is not supported (only float32 weights are)");
        var values = new float[n];
        var q = spec["quantization"];
        var qtype = q?["dtype"]?.GetValue<string>();
        int width = qtype switch
        {
            null => 4,
            "uint8" => 1,
            "uint16" or "float16" => 2,
            _ => throw Bad($"{name}: quantisation {qtype} is not supported"),
        };
        if (offset + n * width > bytes.Length)
            throw Bad($"{name}: the shards end before this tensor does (they hold {bytes.Length} bytes)");
        var data = bytes.AsSpan(offset, (int)(n * width));
        offset += (int)(n * width);
        switch (qtype)
        {
            case null:
                for (int i = 0; i < n; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(4 * i)..]);
                break;
            case "float16":
                for (int i = 0; i < n; i++) values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(data[(2 * i)..]);
                break;
            default:
                double min = Number(q!, "min", name), scale = Number(q!, "scale", name);
                for (int i = 0; i < n; i++)
                {
                    int v = width == 1 ? data[i] : BinaryPrimitives.ReadUInt16LittleEndian(data[(2 * i)..]);
                    values[i] = (float)(v * scale + min);
                }
                break;
        }
        return new TfjsTensor(name, shape, values);
    }

    private static double Number(JsonNode q, string key, string name) =>
        q[key]?.GetValue<double>() ?? throw Bad($"{name}: quantisation without '{key}'");

    private static JsonArray Array(JsonNode? node, string key) =>
        node?[key] as JsonArray ?? throw Bad($"the weights manifest has an entry without '{key}'");

    private static InvalidDataException Bad(string what) =>
        new(string.Create(CultureInfo.InvariantCulture, $"TF.js weights: {what}"));
}
