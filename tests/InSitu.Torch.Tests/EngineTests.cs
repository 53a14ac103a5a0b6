using InSitu.Torch;
using InSitu.Torch.NN;
using InSitu.Torch.Optim;

namespace InSitu.Torch.Tests;

public class EngineTests
{
    [Fact]
    public void GradCheckCatchesAWrongGradient()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        // d/dx (detach(x) * x) is reported as x by autograd while the function's true derivative is 2x.
        var ex = Assert.ThrowsAny<Exception>(() => GradCheck.Check(x => x[0].Detach() * x[0], GradCheck.Positive(4)));
        Assert.Contains("gradient mismatch", ex.Message);
    }

    [Fact]
    public void BackwardWithGradOutputsAndInputGradients()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var x = Tensor.FromArray(new double[] { 1, 2, 3 }).RequiresGrad_();
        var y = x * x;
        y.Backward(Tensor.FromArray(new double[] { 1, 10, 100 }));
        Assert.Equal(new double[] { 2, 40, 600 }, x.Grad!.ToArray<double>());
        var z = (x * 3.0).Sum();
        var g = Autograd.Grad(new[] { z }, new[] { x });
        Assert.Equal(new double[] { 3, 3, 3 }, g[0]!.ToArray<double>());
    }

    [Fact]
    public void NoGradAndInferenceModeRecordNothing()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var x = Factory.Ones(new long[] { 2 }).RequiresGrad_();
        using (Autograd.NoGrad()) Assert.False((x * 2.0).RequiresGrad);
        Assert.True((x * 2.0).RequiresGrad);
        using (Autograd.InferenceMode()) Assert.False((x * 2.0).RequiresGrad);
        Assert.True(Autograd.IsGradEnabled);
    }

    [Fact]
    public void HooksReplaceGradientsAndCanBeRemoved()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var x = Tensor.FromArray(new double[] { -1, 2, -3, 4 }).RequiresGrad_();
        var h = x * 1.0;
        // Guided backpropagation's rule: only positive gradients pass.
        using (var hook = h.RegisterHook(g => g.Clamp(0, null)))
        {
            (h * Tensor.FromArray(new double[] { 1, -1, 1, -1 })).Sum().Backward();
            Assert.Equal(new double[] { 1, 0, 1, 0 }, x.Grad!.ToArray<double>());
        }
        x.Grad = null;
        var h2 = x * 1.0;
        var hook2 = h2.RegisterHook(g => g.Mul(0.0));
        hook2.Dispose();
        (h2 * Tensor.FromArray(new double[] { 1, -1, 1, -1 })).Sum().Backward();
        Assert.Equal(new double[] { 1, -1, 1, -1 }, x.Grad!.ToArray<double>());
    }

    [Fact]
    public void AFailingHookSurfacesAsAnError()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var x = Factory.Ones(new long[] { 2 }, DType.Float64).RequiresGrad_();
        var y = x * 2.0;
        using var hook = y.RegisterHook(_ => throw new InvalidOperationException("boom"));
        var ex = Assert.Throws<TorchException>(() => y.Sum().Backward());
        Assert.Contains("boom", ex.Message);
    }

    [Fact]
    public void DisposeScopeFreesIntermediatesAndKeepsWhatMovesOut()
    {
        Tensor kept, dropped;
        using (var outer = TorchRuntime.NewDisposeScope())
        {
            using (var inner = TorchRuntime.NewDisposeScope())
            {
                dropped = Factory.Ones(new long[] { 3 });
                kept = inner.MoveToOuter(Factory.Zeros(new long[] { 3 }));
                Assert.Equal(1, inner.Count);
            }
            Assert.True(dropped.IsDisposed);
            Assert.False(kept.IsDisposed);
            Assert.Equal(1, outer.Count);
        }
        Assert.True(kept.IsDisposed);
        var ex = Assert.Throws<ObjectDisposedException>(() => kept.Shape);
        Assert.Contains("disposed", ex.Message);
    }

    [Fact]
    public void BFloat16TensorsAndCpuAutocast()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var x = Tensor.FromArray(new float[] { 1f, 0.5f, -2.25f, 3.140625f });
        var b = x.Cast(DType.BFloat16);
        Assert.Equal(DType.BFloat16, b.DType);
        Assert.Equal(x.ToArray<float>(), b.ToFloatArray()); // these values are exact in bf16
        var input = Factory.Randn(new long[] { 1, 2, 6, 6 });
        using var conv = new Conv2d(2, 3, 3);
        Tensor y;
        using (TorchRuntime.AutocastCpu(DType.BFloat16)) y = conv.Forward(input);
        Assert.Equal(DType.BFloat16, y.DType);
        Assert.Equal(DType.Float32, conv.Forward(input).DType);
    }

    [Fact]
    public void AutocastRegionsNestAndRestoreTheStateTheyFound()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        using var conv = new Conv2d(1, 2, 3);
        var input = Factory.Randn(new long[] { 1, 1, 5, 5 });
        Assert.False(TorchRuntime.AutocastCpuState.enabled);
        using (TorchRuntime.AutocastCpu(DType.BFloat16))
        {
            using (TorchRuntime.AutocastCpu(DType.BFloat16)) Assert.Equal(DType.BFloat16, conv.Forward(input).DType);
            // leaving the inner region must not switch off the outer one (a loss inside a forward region, say)
            Assert.Equal((true, DType.BFloat16), TorchRuntime.AutocastCpuState);
            Assert.Equal(DType.BFloat16, conv.Forward(input).DType);
        }
        Assert.False(TorchRuntime.AutocastCpuState.enabled);
        Assert.Equal(DType.Float32, conv.Forward(input).DType);
    }

    [Fact]
    public void ReLU6ClipsAtZeroAndSix()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        using var relu6 = new ReLU6();
        var y = relu6.Forward(Tensor.FromArray(new[] { -2f, 0f, 3.5f, 6f, 9f }));
        Assert.Equal(new[] { 0f, 0f, 3.5f, 6f, 6f }, y.ToFloatArray());
    }

    [Fact]
    public void ScalarIsZeroDimensional()
    {
        using var s = Tensor.Scalar(2.5, DType.Float64);
        Assert.Empty(s.Shape);
        Assert.Equal(2.5, s.Item());
    }

    [Fact]
    public void SeedingMakesRandomnessRepeatable()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        TorchRuntime.ManualSeed(42);
        var a = Factory.Randn(new long[] { 5 }).ToArray<float>();
        TorchRuntime.ManualSeed(42);
        var b = Factory.Randn(new long[] { 5 }).ToArray<float>();
        Assert.Equal(a, b);
        TorchRuntime.SetDeterministic(true);
        TorchRuntime.SetDeterministic(false);
    }

    [Fact]
    public void SchedulersFollowTheirClosedForms()
    {
        using var lin = new Linear(2, 2);
        var opt = new SGD(lin.Parameters(), 0.001, momentum: 0.9, weightDecay: 5e-4);
        var ms = new MultiStepLR(opt, new[] { 20, 30 });
        var rates = new List<double>();
        for (int e = 0; e < 35; e++)
        {
            rates.Add(opt.Groups[0].LearningRate);
            ms.Step();
        }
        Assert.Equal(0.001, rates[19], 12);
        Assert.Equal(0.0001, rates[20], 12);
        Assert.Equal(0.00001, rates[30], 12);

        var cos = new CosineAnnealingLR(new Adam(lin.Parameters(), 0.005), 90, 1e-8);
        cos.SetEpoch(45);
        Assert.Equal(1e-8 + (0.005 - 1e-8) / 2, cos.Optimizer.Groups[0].LearningRate, 12);
        cos.SetEpoch(90);
        Assert.Equal(1e-8, cos.Optimizer.Groups[0].LearningRate, 12);

        var wr = new CosineAnnealingWarmRestarts(new SGD(lin.Parameters(), 0.1), 10, 2);
        wr.SetEpoch(10);
        Assert.Equal(0.1, wr.Optimizer.Groups[0].LearningRate, 12); // restart
        wr.SetEpoch(20);
        Assert.Equal(0.05, wr.Optimizer.Groups[0].LearningRate, 12); // half of the second, 20-epoch period
    }

    [Fact]
    public void ParameterGroupsHaveTheirOwnLearningRates()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        using var a = new Linear(1, 1, bias: false);
        using var b = new Linear(1, 1, bias: false);
        using (Autograd.NoGrad())
        {
            a.Weight.Fill_(1);
            b.Weight.Fill_(1);
        }
        var opt = new SGD(new[] { new ParamGroup(a.Parameters(), 0.1), new ParamGroup(b.Parameters(), 0.01) });
        var x = Factory.Ones(new long[] { 1, 1 });
        (a.Forward(x) + b.Forward(x)).Sum().Backward();
        opt.Step();
        Assert.Equal(0.9f, a.Weight.ToArray<float>()[0], 6);
        Assert.Equal(0.99f, b.Weight.ToArray<float>()[0], 6);
    }

    [Fact]
    public void GradientClippingBoundsTheNorm()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        using var lin = new Linear(4, 4);
        var x = Factory.Randn(new long[] { 8, 4 });
        (lin.Forward(x).Sum() * 100.0).Backward();
        double before = GradClip.ClipGradNorm(lin.Parameters(), 1.0);
        Assert.True(before > 1.0);
        var norm = Math.Sqrt(lin.Parameters().Sum(p => Math.Pow(p.Grad!.Norm().Item(), 2)));
        Assert.InRange(norm, 0.99, 1.0001);
    }

    [Fact]
    public void ShapeMismatchNamesBothShapes()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var a = Factory.Ones(new long[] { 2, 3 });
        var b = Factory.Ones(new long[] { 2, 4 });
        var ex = Assert.Throws<TorchException>(() => a + b);
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[2, 4]", ex.Message);
        var mm = Assert.Throws<TorchException>(() => a.Mm(b));
        Assert.Contains("[2, 3]", mm.Message);
        Assert.Contains("[2, 4]", mm.Message);
        using var conv = new Conv2d(3, 4, 3);
        var c = Assert.Throws<TorchException>(() => conv.Forward(Factory.Ones(new long[] { 1, 2, 8, 8 })));
        Assert.Contains("[N, 3, H, W]", c.Message);
        Assert.Contains("[1, 2, 8, 8]", c.Message);
    }

    [Fact]
    public void WrongDtypeIsReportedClearly()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var f = Factory.Ones(new long[] { 3 });
        var ex = Assert.Throws<TorchException>(() => f.ToArray<long>());
        Assert.Contains("float32", ex.Message);
        Assert.Contains("int64", ex.Message);
        var logits = Factory.Ones(new long[] { 2, 3 });
        var badTarget = Tensor.FromArray(new int[] { 0, 1 });
        var ce = Assert.Throws<TorchException>(() => F.CrossEntropy(logits, badTarget));
        Assert.Contains("int64", ce.Message);
        var idx = Tensor.FromArray(new float[] { 0, 1 });
        var ie = Assert.Throws<TorchException>(() => logits.IndexSelect(0, idx));
        Assert.Contains("float32", ie.Message);
    }
}
