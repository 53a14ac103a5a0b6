using System.Globalization;
using System.Runtime.InteropServices;

namespace InSitu.Torch;

/// <summary>Process-wide engine settings: threads, seeding, determinism, devices, versions.</summary>
public static class TorchRuntime
{
    /// <summary>libtorch's intra-op thread count: all cores by default, INSITU_THREADS to override.</summary>
    public static int Threads
    {
        get { Native.Check(Native.ist_get_num_threads(out var n)); return n; }
        set => Native.Check(Native.ist_set_num_threads(value));
    }

    /// <summary>
    /// The thread count an INSITU_THREADS value asks for: all cores when it is unset or blank, else a positive integer.
    /// Anything else is refused rather than quietly replaced by all cores.
    /// </summary>
    public static int ThreadsFromSetting(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return Environment.ProcessorCount;
        if (int.TryParse(value, NumberStyles.None | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite,
                CultureInfo.InvariantCulture, out int n) && n > 0)
            return n;
        throw new ArgumentException($"INSITU_THREADS must be a positive whole number of threads, not '{value}' " +
            $"(unset it to use all {Environment.ProcessorCount} cores)");
    }

    /// <summary>Seeds libtorch's generators (CPU and CUDA).</summary>
    /// <summary>
    /// Tensors alive now (created, neither disposed nor finalised): a loop whose scopes dispose every temporary keeps
    /// this flat without help from the garbage collector.
    /// </summary>
    public static long LiveTensors => Tensor.Live;

    public static void ManualSeed(ulong seed) => Native.Check(Native.ist_manual_seed(seed));

    /// <summary>Requests deterministic algorithms (an op without one raises an error instead of varying).</summary>
    public static void SetDeterministic(bool enabled) => Native.Check(Native.ist_set_deterministic(enabled ? 1 : 0));

    public static int CudaDeviceCount
    {
        get { Native.Check(Native.ist_cuda_device_count(out var n)); return n; }
    }

    public static bool CudaAvailable => CudaDeviceCount > 0;

    /// <summary>The best device here: the first GPU when libtorch has CUDA and sees one, else the CPU.</summary>
    public static Device DefaultDevice => CudaAvailable ? Device.Cuda(0) : Device.CPU;

    public static unsafe (string torch, string opencv) Versions()
    {
        var a = stackalloc byte[64];
        var b = stackalloc byte[64];
        Native.Check(Native.ist_version(a, 64, b, 64));
        return (Marshal.PtrToStringUTF8((IntPtr)a)!, Marshal.PtrToStringUTF8((IntPtr)b)!);
    }

    /// <summary>
    /// The BLAS behind libtorch's matrix products (Linear, LSTM, logistic regression): its name (e.g. "OpenBLAS 0.3.21
    /// ... (OpenMP)", or "reference" for the netlib BLAS, which is about 80x slower) and the library file it resolved to.
    /// </summary>
    public static unsafe BlasInfo Blas
    {
        get
        {
            var name = stackalloc byte[256];
            var path = stackalloc byte[1024];
            Native.Check(Native.ist_blas_info(name, 256, path, 1024));
            return new BlasInfo(Marshal.PtrToStringUTF8((IntPtr)name)!, Marshal.PtrToStringUTF8((IntPtr)path)!);
        }
    }

    /// <summary>Whether the CPU has native bfloat16 arithmetic (AVX512-BF16 or AMX), where bf16 inference pays off.</summary>
    public static bool CpuHasBFloat16
    {
        get
        {
            try
            {
                var flags = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
                return flags is not null && (flags.Contains(" avx512_bf16") || flags.Contains(" amx_bf16"));
            }
            catch (IOException)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// CPU autocast, as torch.autocast("cpu", dtype): inside the region convolutions, linear layers and matrix products run
    /// in <paramref name="dtype"/> (bfloat16) on lower-precision copies of their fp32 weights, losses (cross-entropy, MSE,
    /// BCE) in float32, everything else (batch norm, pooling, activations) in the type of its input (libtorch's policy,
    /// so the same as PyTorch's); parameters, their gradients and optimizer state stay float32. Regions nest: disposing
    /// restores the state found on entry. The state belongs to the calling thread. Dispose on the thread that entered.
    /// </summary>
    public static IDisposable AutocastCpu(DType dtype = DType.BFloat16)
    {
        Native.Check(Native.ist_autocast_cpu_enter((int)dtype, out var enabled, out var previous));
        return new AutocastGuard(enabled, previous);
    }

    /// <summary>Whether this thread is inside a CPU autocast region, and its lower-precision type.</summary>
    public static (bool enabled, DType dtype) AutocastCpuState
    {
        get
        {
            Native.Check(Native.ist_autocast_cpu_state(out var enabled, out var dtype));
            return (enabled != 0, (DType)dtype);
        }
    }

    private sealed class AutocastGuard(int previousEnabled, int previousDtype) : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            Native.Check(Native.ist_autocast_cpu_exit(previousEnabled, previousDtype));
        }
    }

    /// <summary>Opens a dispose scope on this thread (see <see cref="DisposeScope"/>).</summary>
    public static DisposeScope NewDisposeScope() => new();
}
