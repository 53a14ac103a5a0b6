using System.Text.Json.Nodes;
using InSitu.Models.Pretrained;

namespace InSitu.Tests.Models.Pretrained;

/// <summary>
/// Reading nsfwjs's bundles without JavaScript: the minified literals, and TF.js's weight decoding (quantised and raw
/// tensors laid end to end across shards), on small synthetic bundles.
/// </summary>
public class TfjsDecoderTests
{
    [Fact]
    public void LiteralsInMinifiedForm()
    {
        var (v, end) = JsLiteral.Parse("{a:!0,b:!1,\"c d\":[.5,-0,1e-3,-2.5E+2,7],e:'x\\'y\\n\\u0041',f:null,g:void 0,h:{},$i_2:[]}xyz", 0);
        var o = Assert.IsType<JsonObject>(v);
        Assert.Equal("xyz", "{a:!0,b:!1,\"c d\":[.5,-0,1e-3,-2.5E+2,7],e:'x\\'y\\n\\u0041',f:null,g:void 0,h:{},$i_2:[]}xyz"[end..]);
        Assert.True(o["a"]!.GetValue<bool>());
        Assert.False(o["b"]!.GetValue<bool>());
        Assert.Equal([0.5, -0.0, 1e-3, -250, 7], o["c d"]!.AsArray().Select(n => n!.GetValue<double>()));
        Assert.True(double.IsNegative(o["c d"]![1]!.GetValue<double>()));
        Assert.Equal("x'y\nA", o["e"]!.GetValue<string>());
        Assert.Null(o["f"]);
        Assert.Null(o["g"]);
        Assert.Empty(o["h"]!.AsObject());
        Assert.Empty(o["$i_2"]!.AsArray());
        Assert.Throws<FormatException>(() => JsLiteral.Parse("{a:foo()}", 0));
        Assert.Throws<FormatException>(() => JsLiteral.Parse("[1,2", 0));
    }

    [Fact]
    public void TheExportedLiteralIsFoundPastTheBundlersCode()
    {
        var js = SyntheticNsfwjs.Preamble + "{modelTopology:{},weightsManifest:[]}" + SyntheticNsfwjs.Ending;
        var v = JsLiteral.Exported(js, n => n is JsonObject o && o.ContainsKey("modelTopology"), "model.min.js");
        Assert.NotNull(v!["weightsManifest"]);
        var error = Assert.Throws<InvalidDataException>(() =>
            JsLiteral.Exported(SyntheticNsfwjs.Preamble + "e()" + SyntheticNsfwjs.Ending, _ => true, "x.min.js"));
        Assert.Contains("x.min.js: no exported data literal", error.Message);
    }

    [Fact]
    public void QuantisedAndRawTensorsDecodeAsTfjsDoes()
    {
        // uint8 [2, 3] (min -1.25, scale 0.1), uint16 [2] (min 3, scale 1e-4), float16 [2], float32 [3]; the second
        // tensor straddles the two shards
        byte[] u8 = [0, 1, 2, 127, 254, 255];
        var bytes = new List<byte>(u8);
        foreach (ushort q in new ushort[] { 0, 65535 }) bytes.AddRange(BitConverter.GetBytes(q));
        foreach (var h in new[] { (Half)0.5, (Half)(-1.5) }) bytes.AddRange(BitConverter.GetBytes(h));
        foreach (var f in new[] { 1.5f, -2.25f, 3e-8f }) bytes.AddRange(BitConverter.GetBytes(f));
        Assert.True(BitConverter.IsLittleEndian);
        var all = bytes.ToArray();
        var shards = new Dictionary<string, string>
        {
            ["group1-shard1of2"] = SyntheticNsfwjs.Preamble + "\"" + Convert.ToBase64String(all[..7]) + "\"" + SyntheticNsfwjs.Ending,
            ["group1-shard2of2"] = SyntheticNsfwjs.Preamble + "\"" + Convert.ToBase64String(all[7..]) + "\"" + SyntheticNsfwjs.Ending,
        };
        var model = SyntheticNsfwjs.Preamble + "{modelTopology:{},weightsManifest:[{paths:[\"group1-shard1of2\",\"group1-shard2of2\"]," +
            "weights:[{name:\"a/kernel\",shape:[2,3],dtype:\"float32\",quantization:{min:-1.25,scale:.1,dtype:\"uint8\"}}," +
            "{name:\"b/bias\",shape:[2],dtype:\"float32\",quantization:{min:3,scale:1e-4,dtype:\"uint16\"}}," +
            "{name:\"c/gamma\",shape:[2],dtype:\"float32\",quantization:{dtype:\"float16\"}}," +
            "{name:\"d/beta\",shape:[3],dtype:\"float32\"}]}]}" + SyntheticNsfwjs.Ending;
        var tensors = NsfwjsPackage.FromBundles(model, shards, "synthetic").DecodeWeights();

        Assert.Equal(["a/kernel", "b/bias", "c/gamma", "d/beta"], tensors.Select(t => t.Name));
        Assert.Equal([2, 3], tensors[0].Shape);
        Assert.Equal("a", tensors[0].Layer);
        Assert.Equal("kernel", tensors[0].Parameter);
        Assert.Equal(u8.Select(q => (float)(q * 0.1 + -1.25)), tensors[0].Values);
        Assert.Equal([(float)3.0, (float)(65535 * 1e-4 + 3)], tensors[1].Values);
        Assert.Equal([0.5f, -1.5f], tensors[2].Values);
        Assert.Equal([1.5f, -2.25f, 3e-8f], tensors[3].Values);
        // exactly TF.js's arithmetic: q * scale + min in double, rounded once to float32 (not float32 arithmetic)
        Assert.Equal(BitConverter.SingleToInt32Bits((float)(127 * 0.1 - 1.25)), BitConverter.SingleToInt32Bits(tensors[0].Values[3]));
    }

    [Fact]
    public void BrokenBundlesAreNamed()
    {
        var model = SyntheticNsfwjs.Preamble + "{modelTopology:{},weightsManifest:[{paths:[\"s\"],weights:[{name:\"a/kernel\",shape:[4]," +
            "dtype:\"float32\",quantization:{min:0,scale:1,dtype:\"uint8\"}}]}]}" + SyntheticNsfwjs.Ending;
        string Shard(string base64) => SyntheticNsfwjs.Preamble + "\"" + base64 + "\"" + SyntheticNsfwjs.Ending;
        string Decoding(string modelJs, Dictionary<string, string> shards) => Assert.Throws<InvalidDataException>(
            () => NsfwjsPackage.FromBundles(modelJs, shards, "pkg").DecodeWeights()).Message;
        Dictionary<string, string> Bytes(int n) => new() { ["s"] = Shard(Convert.ToBase64String(new byte[n])) };

        Assert.Contains("a/kernel: the shards end before this tensor does", Decoding(model, Bytes(3)));
        Assert.Contains("hold 5 bytes but the manifest describes 4", Decoding(model, Bytes(5)));
        Assert.Contains("names shard 's', which the package does not hold", Decoding(model, new Dictionary<string, string>()));
        Assert.Contains("s.min.js does not hold base64 weights", Decoding(model, new Dictionary<string, string> { ["s"] = Shard("#!") }));
        var int4 = model.Replace("dtype:\"uint8\"", "dtype:\"int4\"", StringComparison.Ordinal);
        Assert.Contains("quantisation int4 is not supported", Decoding(int4, Bytes(4)));
    }
}
