namespace InSitu.Torch.NN;

/// <summary>Weight initialisers, in place, with torch.nn.init's definitions of fan-in and fan-out.</summary>
public static class Init
{
    public static (long fanIn, long fanOut) Fans(Tensor w)
    {
        var s = w.Shape;
        if (s.Length < 2) throw new TorchException($"fan-in and fan-out need at least 2 dimensions, got shape {Tensor.FormatShape(s)}");
        long receptive = 1;
        for (int i = 2; i < s.Length; i++) receptive *= s[i];
        return (s[1] * receptive, s[0] * receptive);
    }

    public static double Gain(string nonlinearity, double param = 0.01) => nonlinearity switch
    {
        "linear" or "conv2d" or "sigmoid" => 1.0,
        "tanh" => 5.0 / 3,
        "relu" => Math.Sqrt(2.0),
        "leaky_relu" => Math.Sqrt(2.0 / (1 + param * param)),
        _ => throw new ArgumentException($"unknown nonlinearity '{nonlinearity}'"),
    };

    public static void Uniform_(Tensor w, double a, double b)
    {
        using var _ = Autograd.NoGrad();
        w.Uniform_(a, b);
    }

    public static void Normal_(Tensor w, double mean, double std)
    {
        using var _ = Autograd.NoGrad();
        w.Normal_(mean, std);
    }

    public static void Constant_(Tensor w, double value)
    {
        using var _ = Autograd.NoGrad();
        w.Fill_(value);
    }

    public static void KaimingUniform_(Tensor w, double a = 0, bool fanOut = false, string nonlinearity = "leaky_relu")
    {
        var (fi, fo) = Fans(w);
        double std = Gain(nonlinearity, a) / Math.Sqrt(fanOut ? fo : fi);
        Uniform_(w, -Math.Sqrt(3.0) * std, Math.Sqrt(3.0) * std);
    }

    public static void KaimingNormal_(Tensor w, double a = 0, bool fanOut = false, string nonlinearity = "leaky_relu")
    {
        var (fi, fo) = Fans(w);
        Normal_(w, 0, Gain(nonlinearity, a) / Math.Sqrt(fanOut ? fo : fi));
    }

    public static void XavierUniform_(Tensor w, double gain = 1)
    {
        var (fi, fo) = Fans(w);
        double a = gain * Math.Sqrt(6.0 / (fi + fo));
        Uniform_(w, -a, a);
    }

    /// <summary>
    /// Creates and registers "weight" (and "bias") with torch.nn's default initialisation of Conv2d,
    /// ConvTranspose2d and Linear: weight kaiming-uniform with a = sqrt(5), i.e. U(±1/sqrt(fan_in)), bias U(±1/sqrt(fan_in)).
    /// </summary>
    internal static (Parameter weight, Parameter? bias) RegisterWeightAndBias(Func<string, Tensor, bool, Parameter> register,
        long[] weightShape, long biasSize, bool withBias)
    {
        Parameter weight, bias;
        using (var w = Factory.Empty(weightShape)) weight = register("weight", w, true);
        KaimingUniform_(weight, a: Math.Sqrt(5));
        if (!withBias) return (weight, null);
        using (var b = Factory.Empty(new[] { biasSize })) bias = register("bias", b, true);
        double bound = 1 / Math.Sqrt(Fans(weight).fanIn);
        Uniform_(bias, -bound, bound);
        return (weight, bias);
    }
}
