using System.Globalization;
using System.Text.Json;
using InSitu.Torch;

namespace InSitu.Tests;

/// <summary>
/// One case of a JSON fixture written by tests/fixtures/make_fixtures.py: named tensors (shape, dtype, flat
/// row-major values) and the arguments PyTorch was called with.
/// </summary>
public sealed class FixtureCase
{
    private readonly JsonElement _args;
    private readonly JsonElement _tensors;

    public string File { get; }
    public string Name { get; }

    private FixtureCase(string file, JsonElement element)
    {
        File = file;
        Name = element.GetProperty("name").GetString()!;
        _args = element.GetProperty("args");
        _tensors = element.GetProperty("tensors");
    }

    public static string PathOf(string file) => Path.Combine(AppContext.BaseDirectory, "Fixtures", file);

    private static JsonElement Root(string file)
    {
        var path = PathOf(file);
        if (!System.IO.File.Exists(path))
            throw new FileNotFoundException($"fixture '{path}' is missing; regenerate it with `/usr/bin/python3 " +
                $"tests/fixtures/make_fixtures.py`", path);
        // Clone detaches the element from the document, so nothing here depends on the document's lifetime.
        using var doc = JsonDocument.Parse(System.IO.File.ReadAllBytes(path));
        return doc.RootElement.GetProperty("cases").Clone();
    }

    /// <summary>Case names of a file, as xunit theory data, so that each case is reported as its own test.</summary>
    /// <summary>The names of a fixture file's cases, optionally only those <paramref name="keep"/> accepts.</summary>
    public static TheoryData<string> Names(string file, Func<string, bool>? keep = null)
    {
        var data = new TheoryData<string>();
        foreach (var c in Root(file).EnumerateArray())
        {
            var name = c.GetProperty("name").GetString()!;
            if (keep?.Invoke(name) ?? true) data.Add(name);
        }
        return data;
    }

    public static FixtureCase Load(string file, string name)
    {
        foreach (var c in Root(file).EnumerateArray())
            if (c.GetProperty("name").GetString() == name) return new FixtureCase(file, c);
        throw new KeyNotFoundException($"no case '{name}' in fixture {file}");
    }

    public IEnumerable<string> TensorNames => _tensors.EnumerateObject().Select(p => p.Name);

    public bool Has(string key) => _tensors.TryGetProperty(key, out _);

    private JsonElement Entry(string key) =>
        _tensors.TryGetProperty(key, out var e) ? e : throw new KeyNotFoundException($"{File}/{Name} has no tensor '{key}'");

    public long[] Shape(string key) => Entry(key).GetProperty("shape").EnumerateArray().Select(v => v.GetInt64()).ToArray();

    public string DTypeOf(string key) => Entry(key).GetProperty("dtype").GetString()!;

    public float[] Floats(string key) => Entry(key).GetProperty("data").EnumerateArray().Select(v => v.GetSingle()).ToArray();

    public double[] Doubles(string key) => Entry(key).GetProperty("data").EnumerateArray().Select(v => v.GetDouble()).ToArray();

    public long[] Longs(string key) => Entry(key).GetProperty("data").EnumerateArray().Select(v => v.GetInt64()).ToArray();

    /// <summary>The stored tensor as a new InSitu tensor (float32, float64 or int64, as stored).</summary>
    public Tensor T(string key) => DTypeOf(key) switch
    {
        // The span overloads keep a 0-d shape (losses, num_batches_tracked); the array ones would make it [n].
        "float32" => Tensor.FromArray((ReadOnlySpan<float>)Floats(key), Shape(key)),
        "float64" => Tensor.FromArray((ReadOnlySpan<double>)Doubles(key), Shape(key)),
        "int64" => Tensor.FromArray((ReadOnlySpan<long>)Longs(key), Shape(key)),
        var d => throw new NotSupportedException($"{File}/{Name}/{key}: dtype {d}"),
    };

    /// <summary>A fresh leaf that records gradients, for the inputs whose gradients the fixture holds.</summary>
    public Tensor Leaf(string key) => T(key).RequiresGrad_();

    public JsonElement Arg(string name) =>
        _args.TryGetProperty(name, out var e) ? e : throw new KeyNotFoundException($"{File}/{Name} has no argument '{name}'");

    public bool HasArg(string name) => _args.TryGetProperty(name, out _);
    public long Int(string name) => Arg(name).GetInt64();
    public double Double(string name) => Arg(name).GetDouble();
    public bool Bool(string name) => Arg(name).GetBoolean();
    public string Str(string name) => Arg(name).GetString()!;
    public long[] Ints(string name) => Arg(name).EnumerateArray().Select(v => v.GetInt64()).ToArray();
    public string[] Strs(string name) => Arg(name).EnumerateArray().Select(v => v.GetString()!).ToArray();

    /// <summary>Tensors whose names start with prefix, keyed by the rest of the name (e.g. "state." -> a state dict).</summary>
    public Dictionary<string, Tensor> Group(string prefix) =>
        TensorNames.Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(n => n[prefix.Length..], T);

    public override string ToString() => $"{File}/{Name}";
}

/// <summary>Element-wise agreement with a reference, reported with the worst element so failures are diagnosable.</summary>
public static class Close
{
    // Both sides run the same libtorch, so any gap comes from summation order (thread count, kernel choice), a
    // few float32 ulps. rtol 1e-5 is the agreed bar; atol 1e-6 only covers values that are themselves ~0, where a
    // relative bound means nothing (e.g. gradients that are sums of cancelling terms).
    public const double Rtol = 1e-5, Atol = 1e-6;

    public static void Equal(float[] expected, long[] expectedShape, Tensor? actual, string what, double rtol = Rtol, double atol = Atol)
    {
        Assert.True(actual is not null, $"{what}: InSitu produced no tensor (no gradient?)");
        Assert.True(expectedShape.SequenceEqual(actual!.Shape),
            $"{what}: shape {Tensor.FormatShape(actual.Shape)}, PyTorch has {Tensor.FormatShape(expectedShape)}");
        var a = actual.ToFloatArray();
        int worst = -1;
        double worstExcess = 0;
        int bad = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double diff = Math.Abs((double)a[i] - expected[i]);
            double bound = atol + rtol * Math.Abs(expected[i]);
            // NaN compares false everywhere, so it is caught here instead of passing silently.
            if (!(diff <= bound))
            {
                bad++;
                double excess = double.IsNaN(diff) ? double.PositiveInfinity : diff / bound;
                if (worst < 0 || excess > worstExcess) (worst, worstExcess) = (i, excess);
            }
        }
        if (bad > 0)
            Assert.Fail(string.Create(CultureInfo.InvariantCulture,
                $"{what}: {bad} of {a.Length} elements differ from PyTorch beyond |a-b| <= {atol:G} + {rtol:G}*|b|; worst " +
                $"at flat index {worst}: " +
                $"InSitu {a[worst]:R}, PyTorch {expected[worst]:R}, |diff| {Math.Abs((double)a[worst] - expected[worst]):G3}"));
    }

    /// <summary>Checks actual against the fixture tensor key.</summary>
    public static void Equal(FixtureCase c, string key, Tensor? actual, double rtol = Rtol, double atol = Atol)
    {
        if (c.DTypeOf(key) == "int64")
        {
            Assert.True(actual is not null, $"{c}/{key}: InSitu produced no tensor");
            Assert.True(c.Shape(key).SequenceEqual(actual!.Shape),
                $"{c}/{key}: shape {Tensor.FormatShape(actual.Shape)}, PyTorch has {Tensor.FormatShape(c.Shape(key))}");
            Assert.Equal(c.Longs(key), actual.ToLongArray());
            return;
        }
        Equal(c.Floats(key), c.Shape(key), actual, $"{c}/{key}", rtol, atol);
    }
}
