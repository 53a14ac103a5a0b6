using System.Text.Json;
using InSitu.Torch.NN;

namespace InSitu.Tests.Models;

/// <summary>
/// The deterministic weights and inputs of tests/fixtures/make_torchvision_fixtures.py, computed here exactly as there:
/// u = ((i + 7919 * ordinal + 1) * 2654435761 mod 2^32) / 2^32 - 0.5 in float64, then one rounding to float32.
/// </summary>
public static class FormulaWeights
{
    public const int InputOrdinal = 1000003;

    private static double U(long i, long ordinal) => ((i + 7919 * ordinal + 1) * 2654435761L & 0xFFFFFFFFL) / 4294967296.0 - 0.5;

    /// <summary>The value of element <paramref name="i"/> of state-dict entry number <paramref name="ordinal"/>.</summary>
    public static float Value(string key, long[] shape, long ordinal, long i)
    {
        double u = U(i, ordinal);
        if (shape.Length >= 2)
        {
            long n = shape.Aggregate(1L, (a, b) => a * b);
            return (float)(u * Math.Sqrt(24.0 / (n / shape[0])));
        }
        if (key.EndsWith("running_var", StringComparison.Ordinal)) return (float)(1.0 + 0.4 * (u + 0.5));
        if (key.EndsWith("weight", StringComparison.Ordinal)) return (float)(1.0 + 0.2 * u);
        return (float)(0.2 * u);
    }

    public static float[] Values(string key, long[] shape, long ordinal)
    {
        long n = shape.Aggregate(1L, (a, b) => a * b);
        var v = new float[n];
        for (long i = 0; i < n; i++) v[i] = Value(key, shape, ordinal, i);
        return v;
    }

    /// <summary>Sets every floating-point entry of the model's state dict (in state-dict order) from the formula.</summary>
    public static void Apply(Module model)
    {
        using var noGrad = Autograd.NoGrad();
        long ordinal = 0;
        foreach (var (key, t) in model.StateDict())
        {
            if (t.DType == DType.Float32)
            {
                // in chunks, so that VGG16's 400 MB fc6 matrix never exists twice as a managed array
                var shape = t.Shape;
                long n = shape.Aggregate(1L, (a, b) => a * b);
                using var flat = t.View(-1);
                const long chunk = 1 << 22;
                for (long start = 0; start < n; start += chunk)
                {
                    long len = Math.Min(chunk, n - start);
                    var part = new float[len];
                    for (long i = 0; i < len; i++) part[i] = Value(key, shape, ordinal, start + i);
                    using var src = Tensor.FromArray(part);
                    using var dst = flat.Narrow(0, start, len);
                    dst.Copy_(src);
                }
            }
            ordinal++;
        }
    }

    /// <summary>The formula input image batch (ordinal 1000003, scaled to [-1, 1)).</summary>
    public static Tensor Input(params long[] shape)
    {
        long n = shape.Aggregate(1L, (a, b) => a * b);
        var v = new float[n];
        for (long i = 0; i < n; i++) v[i] = (float)(2.0 * U(i, InputOrdinal));
        return Tensor.FromArray(v, shape);
    }
}

/// <summary>A tap summary of the fixtures: the mean of the first 64 channels and 64 elements at hashed positions.</summary>
public sealed record TapSummary(long[] Shape, double[] ChannelMeans, long[] Positions, double[] Samples)
{
    public static TapSummary Read(JsonElement e) => new(
        e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt64()).ToArray(),
        e.GetProperty("channel_means").EnumerateArray().Select(v => v.GetDouble()).ToArray(),
        e.GetProperty("positions").EnumerateArray().Select(v => v.GetInt64()).ToArray(),
        e.GetProperty("samples").EnumerateArray().Select(v => v.GetDouble()).ToArray());

    /// <summary>The same summary of an InSitu tensor (NCHW, or N x F).</summary>
    public static TapSummary Of(Tensor t)
    {
        var shape = t.Shape;
        var data = t.ToFloatArray();
        long n = shape[0], c = shape[1], rest = data.Length / (n * c);
        var means = new double[Math.Min(64, c)];
        for (long ch = 0; ch < means.Length; ch++)
        {
            double s = 0;
            for (long i = 0; i < n; i++)
                for (long j = 0; j < rest; j++) s += data[(i * c + ch) * rest + j];
            means[ch] = s / (n * rest);
        }
        var positions = Enumerable.Range(0, 64).Select(j => j * 2654435761L % data.Length).ToArray();
        return new TapSummary(shape, means, positions, positions.Select(p => (double)data[p]).ToArray());
    }

    /// <summary>
    /// Asserts agreement within <paramref name="rtol"/> of the reference's largest sample magnitude (intermediate values
    /// near zero carry no relative precision, so the bound is relative to the tensor's scale).
    /// </summary>
    public void AssertClose(TapSummary actual, string what, double rtol)
    {
        Assert.True(Shape.SequenceEqual(actual.Shape),
            $"{what}: shape {Tensor.FormatShape(actual.Shape)}, expected {Tensor.FormatShape(Shape)}");
        Assert.Equal(Positions, actual.Positions);
        double scale = Math.Max(Samples.Max(Math.Abs), ChannelMeans.Max(Math.Abs));
        double tol = rtol * Math.Max(scale, 1e-3);
        for (int i = 0; i < Samples.Length; i++)
            Assert.True(Math.Abs(Samples[i] - actual.Samples[i]) <= tol,
                $"{what}: element {Positions[i]} is {actual.Samples[i]}, expected {Samples[i]} (tolerance {tol:G3})");
        for (int i = 0; i < ChannelMeans.Length; i++)
            Assert.True(Math.Abs(ChannelMeans[i] - actual.ChannelMeans[i]) <= tol,
                $"{what}: channel {i} mean is {actual.ChannelMeans[i]}, expected {ChannelMeans[i]} (tolerance {tol:G3})");
    }

    /// <summary>The largest difference to <paramref name="actual"/> relative to this summary's scale.</summary>
    public double WorstRelative(TapSummary actual)
    {
        double scale = Math.Max(Math.Max(Samples.Max(Math.Abs), ChannelMeans.Max(Math.Abs)), 1e-3);
        var gaps = Samples.Zip(actual.Samples, (a, b) => Math.Abs(a - b))
            .Concat(ChannelMeans.Zip(actual.ChannelMeans, (a, b) => Math.Abs(a - b)));
        return gaps.Max() / scale;
    }
}
