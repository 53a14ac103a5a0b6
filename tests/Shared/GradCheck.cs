using InSitu.Torch;

namespace InSitu.Tests;

/// <summary>
/// Central finite differences in float64 against autograd: for a scalar projection L = sum(f(x) * r) with a
/// fixed random r, dL/dx_i ≈ (L(x + h e_i) - L(x - h e_i)) / 2h.
/// </summary>
public static class GradCheck
{
    public static void Check(Func<Tensor[], Tensor> f, params Tensor[] inputs) => Check(f, inputs, 1e-6, 1e-5, 1e-7);

    public static void Check(Func<Tensor[], Tensor> f, Tensor[] inputs, double h, double rtol, double atol)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        foreach (var x in inputs)
            if (x.DType != DType.Float64) throw new ArgumentException("gradcheck inputs must be float64");
        var leaves = inputs.Select(x => x.Detach().RequiresGrad_(x.RequiresGrad)).ToArray();
        var output = f(leaves);
        TorchRuntime.ManualSeed(1234);
        var r = Factory.Randn(output.Shape, DType.Float64);
        var loss = (output * r).Sum();
        var wrt = leaves.Where(l => l.RequiresGrad).ToArray();
        var analytic = Autograd.Grad(new[] { loss }, wrt, allowUnused: true);
        CompareWithFiniteDifferences(wrt, analytic, () => (f(leaves) * r).Sum().Item(), k => $"input {k}", h, rtol, atol);
    }

    public static Tensor Rand(params long[] shape)
    {
        var t = Factory.Randn(shape, DType.Float64);
        t.RequiresGrad = true;
        return t;
    }

    /// <summary>Values kept away from 0 so kinks (abs, relu, max) are not straddled by the finite difference.</summary>
    public static Tensor RandAwayFromZero(params long[] shape)
    {
        using var u = Factory.Rand(shape, DType.Float64);
        using var s = Factory.Randn(shape, DType.Float64).Sign();
        var t = u.Add(0.2).Mul(s);
        t.RequiresGrad = true;
        return t;
    }

    public static Tensor Positive(params long[] shape)
    {
        using var u = Factory.Rand(shape, DType.Float64);
        var t = u.Add(0.5);
        t.RequiresGrad = true;
        return t;
    }

    public static Tensor Const(Tensor t)
    {
        t.RequiresGrad = false;
        return t;
    }

    /// <summary>
    /// The same check for a module: autograd's gradients with respect to the input and to every parameter
    /// against finite differences that perturb each parameter element in place.
    /// </summary>
    public static void CheckModule(InSitu.Torch.NN.Module module, Func<Tensor, Tensor> forward, Tensor input,
        double h = 1e-6, double rtol = 1e-5, double atol = 1e-7)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var x = input.Detach().RequiresGrad_();
        var output = forward(x);
        TorchRuntime.ManualSeed(4321);
        var r = Factory.Randn(output.Shape, DType.Float64);
        var loss = (output * r).Sum();
        var parameters = module.Parameters().ToList();
        var wrt = new List<Tensor> { x };
        wrt.AddRange(parameters);
        var analytic = Autograd.Grad(new[] { loss }, wrt, allowUnused: true);
        var names = module.NamedParameters().Select(p => p.name).ToList();
        CompareWithFiniteDifferences(wrt, analytic, () => (forward(x) * r).Sum().Item(),
            k => k == 0 ? "the input" : $"parameter {names[k - 1]}", h, rtol, atol);
    }

    /// <summary>
    /// Perturbs each element of each tensor in place by ±h (no-grad), re-evaluates the scalar loss, and fails on
    /// the first element whose central difference disagrees with autograd's gradient.
    /// </summary>
    private static void CompareWithFiniteDifferences(IReadOnlyList<Tensor> wrt, Tensor?[] analytic, Func<double> loss,
        Func<int, string> describe, double h, double rtol, double atol)
    {
        double Loss()
        {
            using var inner = TorchRuntime.NewDisposeScope();
            using var noGrad = Autograd.NoGrad();
            return loss();
        }
        for (int k = 0; k < wrt.Count; k++)
        {
            var target = wrt[k];
            var a = analytic[k]?.ToArray<double>() ?? new double[target.NumEl];
            using var flatView = target.Detach().View(-1);
            for (int i = 0; i < a.Length; i++)
            {
                using var element = flatView.Select(0, i);
                double orig = element.Item();
                using (Autograd.NoGrad()) element.Fill_(orig + h);
                double up = Loss();
                using (Autograd.NoGrad()) element.Fill_(orig - h);
                double down = Loss();
                using (Autograd.NoGrad()) element.Fill_(orig);
                double numeric = (up - down) / (2 * h);
                if (Math.Abs(a[i] - numeric) > atol + rtol * Math.Abs(numeric))
                    Assert.Fail($"gradient mismatch for {describe(k)} element {i}: autograd {a[i]:G10}, finite difference {numeric:G10}");
            }
        }
    }
}
