using InSitu.Torch;
using InSitu.Torch.NN;

namespace InSitu.Training;

public enum InferenceEngineKind
{
    /// <summary>The fused plan where it can run (oneDNN in the build, a model that compiles, CPU), eager elsewhere.</summary>
    Auto,

    /// <summary>The model's own forward pass through libtorch.</summary>
    Eager,

    /// <summary>The fused oneDNN plan, or an error saying why it cannot run.</summary>
    Fused,
}

/// <summary>
/// How a model runs for inference. The fused plan (<see cref="InferencePlan"/>) computes the same function as the eager
/// model; float32 agrees with it to rounding (tests), bfloat16 and int8 trade accuracy for speed and are never the
/// default. <c>INSITU_INFERENCE=eager</c> in the environment forces eager whatever was asked.
/// </summary>
/// <param name="Algorithm">For 3x3 stride-1 convolutions; null: <see cref="DefaultAlgorithm"/> of the precision.</param>
/// <param name="CalibrationBatches">int8 only: batches of the input whose value ranges set the quantization scales.</param>
public sealed record InferenceSettings(
    InferenceEngineKind Engine = InferenceEngineKind.Auto,
    PlanPrecision Precision = PlanPrecision.Float32,
    ConvAlgorithm? Algorithm = null,
    int CalibrationBatches = 4)
{
    public const string EnvironmentVariable = "INSITU_INFERENCE";

    public static InferenceSettings Default { get; } = new();

    /// <summary>
    /// Winograd for float32: measured faster than direct on AVX-512, with logits within 2e-6 (relative) of direct
    /// ones (README, Benchmark). Direct otherwise: oneDNN 2.6 has no bfloat16 Winograd, and its int8 one measured slower.
    /// </summary>
    public static ConvAlgorithm DefaultAlgorithm(PlanPrecision precision) =>
        precision == PlanPrecision.Float32 ? ConvAlgorithm.Winograd : ConvAlgorithm.Direct;

    public ConvAlgorithm EffectiveAlgorithm => Algorithm ?? DefaultAlgorithm(Precision);

    /// <summary>The engine after the environment's say (<see cref="EngineUnder"/> of INSITU_INFERENCE).</summary>
    public InferenceEngineKind EffectiveEngine => EngineUnder(Environment.GetEnvironmentVariable(EnvironmentVariable));

    /// <summary>Eager when the environment value is "eager", the asked engine when it is unset or empty.</summary>
    public InferenceEngineKind EngineUnder(string? environmentValue) => environmentValue switch
    {
        null or "" => Engine,
        _ when string.Equals(environmentValue, "eager", StringComparison.OrdinalIgnoreCase) => InferenceEngineKind.Eager,
        _ => throw new ArgumentException($"{EnvironmentVariable}='{environmentValue}': set it to 'eager' to force eager inference, " +
            "or leave it unset"),
    };
}

/// <summary>
/// A model's inference forward pass, eager or through a fused plan compiled from its current weights. The model is put
/// in eval mode; a plan is a snapshot, so a runner is made after training, not kept across weight updates.
/// </summary>
public sealed class InferenceRunner : IDisposable
{
    private readonly Module<Tensor, Tensor> _model;
    private readonly InferencePlan? _plan;
    private bool _calibrated;

    private InferenceRunner(Module<Tensor, Tensor> model, InferencePlan? plan, string description)
    {
        _model = model;
        _plan = plan;
        Description = description;
    }

    /// <summary>"eager" or, e.g., "fused float32, Winograd (oneDNN 2.6.3, AVX-512 BF16)"; for eager under Auto, why.</summary>
    public string Description { get; }

    public bool IsFused => _plan is not null;

    /// <summary>Whether <see cref="Calibrate"/> must see batches before <see cref="Forward"/> (int8 plans).</summary>
    public bool NeedsCalibration => _plan is { Precision: PlanPrecision.Int8 } && !_calibrated;

    public static InferenceRunner Create(Module<Tensor, Tensor> model, InferenceSettings settings)
    {
        model.Eval();
        var engine = settings.EffectiveEngine;
        if (engine == InferenceEngineKind.Eager) return new InferenceRunner(model, null, "eager");
        var (available, info) = InferencePlan.Availability;
        string? refusal = !available ? info
            : model is not IPlanCompilable ? $"{model.GetType().Name} does not compile to a fused plan"
            : model.Parameters().FirstOrDefault() is { } p && p.Device.Type != DeviceType.CPU ? "fused plans run on the CPU only"
            : null;
        if (refusal is not null)
        {
            if (engine == InferenceEngineKind.Fused)
                throw new InvalidOperationException($"the fused inference engine cannot run: {refusal}");
            return new InferenceRunner(model, null, $"eager ({refusal})");
        }
        var plan = ((IPlanCompilable)model).CompilePlan(settings.Precision, settings.EffectiveAlgorithm);
        var precision = settings.Precision switch
        {
            PlanPrecision.BFloat16 => "bfloat16",
            PlanPrecision.Int8 => $"int8 calibrated on {settings.CalibrationBatches} batches",
            _ => "float32",
        };
        return new InferenceRunner(model, plan, $"fused {precision}, {settings.EffectiveAlgorithm} convolutions ({info})");
    }

    /// <summary>Widens the int8 plan's value ranges with this batch; no effect for other runners.</summary>
    public void Calibrate(Tensor images)
    {
        if (_plan is not { Precision: PlanPrecision.Int8 }) return;
        if (images.Device.Type == DeviceType.CPU && images.DType == DType.Float32)
            _plan.Calibrate(images);
        else
            using (var cpu = images.To(Device.CPU, DType.Float32)) _plan.Calibrate(cpu);
        _calibrated = true;
    }

    /// <summary>The model's output for a batch (inference mode for eager).</summary>
    public Tensor Forward(Tensor images)
    {
        if (_plan is null)
        {
            using var inference = Autograd.InferenceMode();
            return _model.Forward(images);
        }
        if (NeedsCalibration) throw new InvalidOperationException("an int8 runner needs Calibrate on a few batches before Forward");
        return _plan.Run(images);
    }

    public void Dispose() => _plan?.Dispose();
}
