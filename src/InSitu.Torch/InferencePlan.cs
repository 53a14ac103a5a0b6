using System.Runtime.InteropServices;

namespace InSitu.Torch;

/// <summary>The arithmetic of a fused inference plan's layers.</summary>
public enum PlanPrecision
{
    /// <summary>float32 throughout: the eager model's results up to summation order.</summary>
    Float32 = 0,

    /// <summary>bfloat16 activations and weights, float32 accumulation and output (AVX512-BF16 kernels).</summary>
    BFloat16 = 1,

    /// <summary>int8 activations and weights (VNNI kernels); scales from calibration batches, float32 output.</summary>
    Int8 = 2,
}

/// <summary>How a plan computes 3x3 stride-1 convolutions (other shapes are always direct).</summary>
public enum ConvAlgorithm
{
    Direct = 0,

    /// <summary>Winograd where oneDNN offers it for the layer and precision, direct elsewhere.</summary>
    Winograd = 1,

    /// <summary>oneDNN's own choice between direct and Winograd.</summary>
    Auto = 2,
}

public enum PoolKind
{
    Max = 0,

    /// <summary>Average counting padded positions (PyTorch's avg_pool2d default).</summary>
    Average = 1,

    AverageExcludePadding = 2,
}

/// <summary>
/// A fused inference plan run by oneDNN (native/src/plan.cpp): a feed-forward list of layers over numbered values.
/// Value 0 (<see cref="Input"/>) is the input, each added layer returns the number of its output. Convolutions carry
/// their bias, ReLU and a residual sum; activations stay in oneDNN's blocked layouts between layers and are
/// converted only at the input and output. The plan keeps copies of the weights it is given and is compiled per
/// batch size at the first run with that size. It holds no policy: what to fuse and which precision is the caller's.
/// </summary>
public sealed unsafe class InferencePlan : IDisposable
{
    public const int Input = 0;
    private IntPtr _handle;

    public PlanPrecision Precision { get; }
    public ConvAlgorithm Algorithm { get; }

    /// <param name="inputShape">C, H, W of one input (the batch is free).</param>
    public InferencePlan(long[] inputShape, PlanPrecision precision = PlanPrecision.Float32,
        ConvAlgorithm algorithm = ConvAlgorithm.Direct)
    {
        Precision = precision;
        Algorithm = algorithm;
        fixed (long* s = inputShape)
            Native.Check(Native.ist_plan_create(s, inputShape.Length, (int)precision, (int)algorithm, out _handle));
    }

    ~InferencePlan()
    {
        if (_handle != IntPtr.Zero) Native.ist_plan_free(_handle);
    }

    /// <summary>Whether this build of the native engine has the plans, and which oneDNN and CPU features (or why not).</summary>
    public static (bool available, string info) Availability
    {
        get
        {
            var buf = stackalloc byte[512];
            Native.Check(Native.ist_plan_available(out int available, buf, 512));
            return (available != 0, Marshal.PtrToStringUTF8((IntPtr)buf) ?? "");
        }
    }

    public static bool IsAvailable => Availability.available;

    private IntPtr Handle => _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException(nameof(InferencePlan));

    /// <summary>relu?(conv(src) + bias + residual?) with a weight O x I x kh x kw; returns the new value.</summary>
    public int Conv(int src, Tensor weight, Tensor? bias, (int h, int w) stride, (int h, int w) padding, bool relu,
        int residual = -1)
    {
        Native.Check(Native.ist_plan_conv(Handle, src, weight.Handle, bias?.Handle ?? IntPtr.Zero, stride.h, stride.w,
            padding.h, padding.w, relu ? 1 : 0, residual, out int value));
        GC.KeepAlive(weight);
        GC.KeepAlive(bias);
        GC.KeepAlive(this);
        return value;
    }

    public int Pool(int src, PoolKind kind, (int h, int w) kernel, (int h, int w) stride, (int h, int w) padding = default)
    {
        Native.Check(Native.ist_plan_pool(Handle, src, (int)kind, kernel.h, kernel.w, stride.h, stride.w, padding.h, padding.w,
            out int value));
        GC.KeepAlive(this);
        return value;
    }

    /// <summary>A fully connected layer over the flattened source (C*H*W in NCHW order, as Flatten(1) gives).</summary>
    public int Linear(int src, Tensor weight, Tensor? bias)
    {
        Native.Check(Native.ist_plan_linear(Handle, src, weight.Handle, bias?.Handle ?? IntPtr.Zero, out int value));
        GC.KeepAlive(weight);
        GC.KeepAlive(bias);
        GC.KeepAlive(this);
        return value;
    }

    public void SetOutput(int value)
    {
        Native.Check(Native.ist_plan_set_output(Handle, value));
        GC.KeepAlive(this);
    }

    /// <summary>For int8 plans: runs the float32 plan on a batch and widens the value ranges the scales come from.</summary>
    public void Calibrate(Tensor input)
    {
        Native.Check(Native.ist_plan_calibrate(Handle, input.Handle));
        GC.KeepAlive(input);
        GC.KeepAlive(this);
    }

    /// <summary>The output (float32, plain layout) for an N x C x H x W float32 CPU batch.</summary>
    public Tensor Run(Tensor input)
    {
        Native.Check(Native.ist_plan_run(Handle, input.Handle, out var output));
        GC.KeepAlive(input);
        GC.KeepAlive(this);
        return new Tensor(output);
    }

    /// <summary>What oneDNN chose at the latest compilation: one line per layer (implementation, layouts, reorders).</summary>
    public string Describe()
    {
        Native.Check(Native.ist_plan_describe(Handle, null, 0, out int needed));
        var buf = new byte[needed];
        fixed (byte* b = buf) Native.Check(Native.ist_plan_describe(Handle, b, needed, out _));
        GC.KeepAlive(this);
        return System.Text.Encoding.UTF8.GetString(buf, 0, Math.Max(0, needed - 1));
    }

    public void Dispose()
    {
        if (_handle == IntPtr.Zero) return;
        Native.ist_plan_free(_handle);
        _handle = IntPtr.Zero;
        GC.SuppressFinalize(this);
    }
}
