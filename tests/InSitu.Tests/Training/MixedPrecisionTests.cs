using InSitu.Models;
using InSitu.Torch;
using InSitu.Training;

namespace InSitu.Tests.Training;

/// <summary>
/// bf16 mixed-precision training (<see cref="TrainingPrecision.Bf16"/>) against PyTorch's own recipe on the same libtorch
/// (tests/fixtures/make_bf16_fixtures.py: torch.autocast("cpu", torch.bfloat16) around forward and loss), and against
/// float32: a training step of a tiny ResNet from the same weights and batch.
/// </summary>
public class MixedPrecisionTests : TempFolderTest
{
    private const string File = "bf16_step.json", Case = "tiny_resnet_step";

    // InSitu against PyTorch, both bf16: the same kernels on the same bf16 values, so only summation order differs
    // (thread count). bf16 against fp32: bf16 keeps 8 bits of mantissa, so a step's gradients move by tens of percent
    // on a width-2 network at initialisation (measured 19% of the gradient's norm in PyTorch itself); the loss by ~0.2%.
    private const double SameEngineGradient = 1e-3, Bf16LossTolerance = 0.01, Bf16GradientTolerance = 0.35;

    private sealed record StepResult(DType LogitsType, DType LossType, double Loss, Dictionary<string, float[]> Grads,
        float[] RunningMean, float[] RunningVar);

    private static StepResult Step(FixtureCase c, TrainingPrecision precision)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        using var model = new ResNet(ResNetConfig.Paper(1, 3, 32, 32, baseWidth: 2));
        model.Load(FixtureCase.PathOf("bf16_step.pt"));
        model.Train();
        Tensor logits, loss;
        using (precision.ForwardRegion())
        {
            logits = model.Forward(c.T("x"));
            loss = F.CrossEntropy(logits, c.T("y"));
        }
        loss.Backward();
        var grads = model.NamedParameters().ToDictionary(p => p.name, p =>
        {
            using var g = p.parameter.Grad!;
            Assert.Equal(DType.Float32, g.DType);
            Assert.Equal(DType.Float32, p.parameter.DType);
            return g.ToArray<float>();
        });
        var buffers = model.NamedBuffers().ToDictionary(b => b.name, b => b.buffer);
        Assert.Equal(DType.Float32, buffers["bn1.running_mean"].DType);
        return new StepResult(logits.DType, loss.DType, loss.Item(), grads, buffers["bn1.running_mean"].ToArray<float>(),
            buffers["bn1.running_var"].ToArray<float>());
    }

    /// <summary>||a - b|| / ||b|| over all parameters' gradients together.</summary>
    private static double RelativeError(Dictionary<string, float[]> a, Func<string, float[]> b)
    {
        double diff = 0, norm = 0;
        foreach (var (name, values) in a)
        {
            var reference = b(name);
            for (int i = 0; i < values.Length; i++)
            {
                diff += Math.Pow(values[i] - (double)reference[i], 2);
                norm += Math.Pow(reference[i], 2);
            }
        }
        return Math.Sqrt(diff / norm);
    }

    [Fact]
    public void Bf16StepMatchesPyTorchsAutocastStep()
    {
        var c = FixtureCase.Load(File, Case);
        var bf16 = Step(c, TrainingPrecision.Bf16);
        // autocast's policy: bf16 logits (convolutions and linear in bf16), float32 loss, float32 gradients and weights
        Assert.Equal(DType.BFloat16, bf16.LogitsType);
        Assert.Equal(DType.Float32, bf16.LossType);
        Assert.Equal(c.Floats("bf16.loss")[0], bf16.Loss, 1e-3 * Math.Abs(c.Floats("bf16.loss")[0]));
        double error = RelativeError(bf16.Grads, n => c.Floats("bf16.grad." + n));
        Assert.True(error < SameEngineGradient, $"bf16 gradients differ from PyTorch's bf16 ones by {error:G3} of their norm");
        // batch norm's running statistics stay float32 and take the same update
        Assert.Equal(c.Floats("bf16.bn1.running_mean"), bf16.RunningMean, (a, b) => Math.Abs(a - b) <= 1e-3 * Math.Abs(b) + 1e-6);
        Assert.Equal(c.Floats("bf16.bn1.running_var"), bf16.RunningVar, (a, b) => Math.Abs(a - b) <= 1e-3 * Math.Abs(b) + 1e-6);
    }

    [Fact]
    public void Fp32StepMatchesPyTorchAndBf16StaysWithinItsTolerance()
    {
        var c = FixtureCase.Load(File, Case);
        var fp32 = Step(c, TrainingPrecision.Fp32);
        Assert.Equal(DType.Float32, fp32.LogitsType);
        Assert.Equal(c.Floats("fp32.loss")[0], fp32.Loss, 1e-5 * Math.Abs(c.Floats("fp32.loss")[0]));
        double error = RelativeError(fp32.Grads, n => c.Floats("fp32.grad." + n));
        Assert.True(error < 1e-4, $"fp32 gradients differ from PyTorch's by {error:G3} of their norm");

        var bf16 = Step(c, TrainingPrecision.Bf16);
        Assert.True(Math.Abs(bf16.Loss - fp32.Loss) < Bf16LossTolerance * fp32.Loss, $"bf16 loss {bf16.Loss}, fp32 {fp32.Loss}");
        double drift = RelativeError(bf16.Grads, n => fp32.Grads[n]);
        Assert.True(drift < Bf16GradientTolerance, $"bf16 gradients differ from fp32 ones by {drift:G3} of their norm");
        Assert.True(drift > 1e-3, "bf16 gradients equal fp32 ones: the step did not run in bf16");
    }

    [Fact]
    public void TheTrainerRunsTrainingStepsInBf16AndValidationInFp32()
    {
        TorchRuntime.ManualSeed(3);
        var x = Factory.Randn(new long[] { 16, 1, 16, 16 }).DetachFromScope();
        var y = Factory.RandInt(0, 3, new long[] { 16 }).DetachFromScope();
        using var model = new ResNet(ResNetConfig.Paper(1, 3, 16, 16, baseWidth: 2) with { PoolSize = 2 });
        var seen = new List<(bool training, DType dtype)>();
        using var hook = model.RegisterForwardHook((m, _, output) =>
        {
            seen.Add((m.Training, output.DType));
            return null;
        });
        var config = new TrainingConfig { Epochs = 1, BatchSize = 8, Precision = TrainingPrecision.Bf16 };
        var run = Path.Combine(dir, "run");
        TrainingHelpers.Fit(model, config, run, x, y, x, y);

        Assert.Contains(seen, s => s.training);
        Assert.Contains(seen, s => !s.training);
        Assert.All(seen, s => Assert.Equal(s.training ? DType.BFloat16 : DType.Float32, s.dtype));
        Assert.All(model.Parameters(), p => Assert.Equal(DType.Float32, p.DType));
        Assert.False(TorchRuntime.AutocastCpuState.enabled);
        // the run records its precision, so a resume in the other precision is refused by name
        Assert.Contains("\"precision\": \"bf16\"", System.IO.File.ReadAllText(Path.Combine(run, "checkpoint.json")));
        var e = Assert.Throws<InvalidDataException>(() =>
            TrainingHelpers.Fit(model, config with { Precision = TrainingPrecision.Fp32 }, run, x, y, x, y, resume: true));
        Assert.Contains("precision", e.Message);
    }
}
