using InSitu.Torch.NN;

namespace InSitu.Torch.Tests;

public class ModuleHookTests
{
    /// <summary>Linear(5, 4), Tanh, Linear(4, 3) in float64, so finite differences are accurate.</summary>
    private static Sequential SmallNet()
    {
        TorchRuntime.ManualSeed(3);
        var net = new Sequential(new Linear(5, 4), new Tanh(), new Linear(4, 3));
        net.To(Device.CPU, DType.Float64);
        return net;
    }

    [Fact]
    public void AForwardHookSeesTheOutputCanReplaceItAndIsRemovedWithItsHandle()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        using var net = SmallNet();
        var first = (Linear)net[0];
        var x = Factory.Randn(new long[] { 2, 5 }, DType.Float64);
        var plain = net.Forward(x).ToDoubleArray();
        var hidden = F.Linear(x, first.Weight, first.Bias).ToDoubleArray();

        int calls = 0;
        double[]? seen = null;
        var observe = first.RegisterForwardHook((module, input, output) =>
        {
            calls++;
            Assert.Same(first, module);
            Assert.Same(x, input);
            seen = output.ToDoubleArray();
            return null;
        });
        Assert.Equal(plain, net.Forward(x).ToDoubleArray());
        Assert.Equal(1, calls);
        Assert.Equal(hidden, seen);

        // A replacement is what the rest of the network sees: doubling the first layer's output is the same as
        // doubling its weight and bias.
        using (first.RegisterForwardHook((_, _, output) => output.Mul(2.0)))
        {
            var replaced = net.Forward(x).ToDoubleArray();
            var last = (Linear)net[2];
            var doubled = F.Linear(F.Linear(x, first.Weight.Mul(2.0), first.Bias!.Mul(2.0)).Tanh(), last.Weight, last.Bias);
            Assert.Equal(doubled.ToDoubleArray(), replaced, new Tolerance(1e-12));
            Assert.Equal(2, calls);
            Assert.Equal(hidden, seen);  // hooks run in registration order: the observer saw the original
        }

        observe.Dispose();
        observe.Dispose();
        Assert.Equal(plain, net.Forward(x).ToDoubleArray());
        Assert.Equal(2, calls);
    }

    [Fact]
    public void ABackwardHookSeesTheGradientOfTheModuleOutput()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        using var net = SmallNet();
        var tanh = (Tanh)net[1];
        var last = (Linear)net[2];
        var x = Factory.Randn(new long[] { 2, 5 }, DType.Float64).RequiresGrad_();
        var c = Factory.Randn(new long[] { 2, 3 }, DType.Float64);
        double Loss(Tensor input) => net.Forward(input).Mul(c).Sum().ToDoubleArray()[0];

        Tensor? seen = null;
        int calls = 0;
        using (tanh.RegisterBackwardHook((module, g) =>
        {
            calls++;
            Assert.Same(tanh, module);
            seen = g.Clone();
            return null;
        }))
        {
            net.Forward(x).Mul(c).Sum().Backward();
        }
        Assert.Equal(1, calls);

        // loss = sum(c * (h W^T + b)), so d loss / d h = c W, whatever h is
        var direct = c.MatMul(last.Weight).ToDoubleArray();
        Assert.Equal(direct, seen!.ToDoubleArray(), new Tolerance(1e-12));

        // and by central differences on the hidden output, nudged through a forward hook
        var h = seen.ToDoubleArray();
        const double eps = 1e-6;
        using (Autograd.NoGrad())
            for (int i = 0; i < h.Length; i++)
            {
                double Nudged(double by)
                {
                    var delta = new double[h.Length];
                    delta[i] = by;
                    using var nudge = tanh.RegisterForwardHook((_, _, output) => output.Add(Tensor.FromArray(delta, 2, 4)));
                    return Loss(x);
                }
                double fd = (Nudged(eps) - Nudged(-eps)) / (2 * eps);
                Assert.True(Math.Abs(fd - h[i]) < 1e-7, $"element {i}: finite difference {fd} vs hooked gradient {h[i]}");
            }
    }

    [Fact]
    public void ABackwardHookCanReplaceTheGradientAndIsRemovedWithItsHandleEvenFromLiveGraphs()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        using var net = SmallNet();
        var tanh = (Tanh)net[1];
        var x = Factory.Randn(new long[] { 2, 5 }, DType.Float64).RequiresGrad_();
        Tensor InputGradient(Tensor output) => Autograd.Grad(new[] { output.Sum() }, new[] { x })[0]!;
        var plain = InputGradient(net.Forward(x)).ToDoubleArray();

        int calls = 0;
        var handle = tanh.RegisterBackwardHook((_, g) => { calls++; return g.Mul(2.0); });
        // everything before the hooked output is linear in its gradient
        Assert.Equal(plain.Select(v => 2 * v), InputGradient(net.Forward(x)).ToDoubleArray(), new Tolerance(1e-12));
        Assert.Equal(1, calls);
        using (Autograd.NoGrad()) net.Forward(x);  // no graph, nothing to hook
        var madeWhileHooked = net.Forward(x);
        handle.Dispose();
        Assert.Equal(plain, InputGradient(madeWhileHooked).ToDoubleArray());
        Assert.Equal(plain, InputGradient(net.Forward(x)).ToDoubleArray());
        Assert.Equal(1, calls);
    }

    [Fact]
    public void AFailingBackwardHookSurfacesAsAnError()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        using var net = SmallNet();
        using var hook = ((Tanh)net[1]).RegisterBackwardHook((_, _) => throw new InvalidOperationException("boom"));
        var ex = Assert.Throws<TorchException>(() => net.Forward(Factory.Randn(new long[] { 2, 5 }, DType.Float64)).Sum().Backward());
        Assert.Contains("boom", ex.Message);
    }

    [Fact]
    public void HooksCostNoAllocationWhenNoneIsRegistered()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        using var relu = new ReLU();
        var x = Factory.Randn(new long[] { 4 });
        long Allocated(Func<Tensor> f)
        {
            for (int i = 0; i < 10; i++) f().Dispose();  // warm up
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 100; i++) f().Dispose();
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
        long op = Allocated(x.Relu);
        Assert.Equal(op, Allocated(() => relu.Forward(x)));
        relu.RegisterForwardHook((_, _, _) => null).Dispose();
        relu.RegisterBackwardHook((_, _) => null).Dispose();
        Assert.Equal(op, Allocated(() => relu.Forward(x)));
    }

    private sealed class Tolerance(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tolerance;
        public int GetHashCode(double v) => 0;
    }
}
