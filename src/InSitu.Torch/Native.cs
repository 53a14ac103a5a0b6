using System.Reflection;
using System.Runtime.InteropServices;

namespace InSitu.Torch;

[StructLayout(LayoutKind.Sequential)]
internal struct NativeArg
{
    public int Kind;
    public int Len;
    public long I;
    public double D;
    public IntPtr P;
}

[StructLayout(LayoutKind.Sequential)]
internal struct NativeValue
{
    public int Kind;
    public int Pad;
    public long I;
    public double D;
    public IntPtr T;
}

internal static class ArgKind
{
    public const int None = 0, Tensor = 1, Int = 2, Double = 3, Bool = 4, IntList = 5, DoubleList = 6,
        TensorList = 7, OptTensorList = 8, String = 9, Device = 10, BoolList = 11, ListMark = 12;
}

/// <summary>P/Invoke surface of native/include/insitu_native.h.</summary>
internal static unsafe partial class Native
{
    private const string Lib = "insitu_native";

    static Native()
    {
        OpenMpWaitPolicy.ApplyBeforeLoad();
        NativeLibrary.SetDllImportResolver(typeof(Native).Assembly, Resolve);
        // Debian's libtorch starts on one thread; every process gets all cores (or INSITU_THREADS) from its first call.
        // A malformed value is an error (surfacing as the inner exception of a TypeInitializationException).
        Check(ist_set_num_threads(TorchRuntime.ThreadsFromSetting(Environment.GetEnvironmentVariable("INSITU_THREADS"))));
        // glibc returns large blocks (activations, gradients) to the OS on every free and maps them again on the
        // next step, page-faulting through megabytes each time; its adaptive threshold learns this only slowly and
        // not at all beyond 32 MiB. Keeping blocks up to 1 GiB on the heap makes steady-state steps several times
        // faster for small networks. INSITU_MALLOC=system keeps glibc's defaults.
        if (Environment.GetEnvironmentVariable("INSITU_MALLOC") != "system")
            Check(ist_tune_malloc(1L << 30, 1L << 30, out _));
    }

    /// <summary>Finds the shim next to the assembly, under INSITU_NATIVE_LIB, or in a native/build folder above it.</summary>
    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Lib) return IntPtr.Zero;
        var candidates = new List<string>();
        var env = Environment.GetEnvironmentVariable("INSITU_NATIVE_LIB");
        if (!string.IsNullOrEmpty(env)) candidates.Add(env);
        candidates.Add(Path.Combine(AppContext.BaseDirectory, "libinsitu_native.so"));
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            candidates.Add(Path.Combine(dir.FullName, "native", "build", "libinsitu_native.so"));
        foreach (var c in candidates)
            if (File.Exists(c) && NativeLibrary.TryLoad(c, out var h)) return h;
        throw new DllNotFoundException(
            "InSitu's native engine (libinsitu_native.so) was not found. Build it with `make setup` at the repository root, " +
            "or point INSITU_NATIVE_LIB at it.");
    }

    internal static void Check(int status)
    {
        if (status != 0) throw new TorchException(LastError());
    }

    internal static string LastError() => Marshal.PtrToStringUTF8(ist_last_error()) ?? "unknown native error";

    [LibraryImport(Lib)] internal static partial IntPtr ist_last_error();

    [LibraryImport(Lib)] internal static partial int ist_blas_info(byte* name, int nameLen, byte* path, int pathLen);
    [LibraryImport(Lib)] internal static partial int ist_version(byte* torchVersion, int torchLen, byte* opencvVersion, int opencvLen);
    [LibraryImport(Lib)] internal static partial int ist_set_num_threads(int n);
    [LibraryImport(Lib)] internal static partial int ist_tune_malloc(long mmapThreshold, long trimThreshold, out int applied);
    [LibraryImport(Lib)] internal static partial int ist_get_num_threads(out int n);
    [LibraryImport(Lib)] internal static partial int ist_manual_seed(ulong seed);
    [LibraryImport(Lib)] internal static partial int ist_set_deterministic(int enabled);
    [LibraryImport(Lib)] internal static partial int ist_cuda_device_count(out int n);
    [LibraryImport(Lib)] internal static partial int ist_autocast_cpu_enter(int dtype, out int prevEnabled, out int prevDtype);
    [LibraryImport(Lib)] internal static partial int ist_autocast_cpu_exit(int prevEnabled, int prevDtype);
    [LibraryImport(Lib)] internal static partial int ist_autocast_cpu_state(out int enabled, out int dtype);

    [LibraryImport(Lib)] internal static partial void ist_tensor_free(IntPtr t);
    [LibraryImport(Lib)] internal static partial int ist_tensor_from_data(void* data, long* shape, int ndim, int dtype, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int ist_tensor_copy_to(IntPtr t, void* dst, long nbytes);
    [LibraryImport(Lib)]
    internal static partial int ist_tensor_info(IntPtr t, out int dtype, out int ndim, long* shape,
        out int deviceType, out int deviceIndex);
    [LibraryImport(Lib)] internal static partial int ist_tensor_requires_grad(IntPtr t, out int value);
    [LibraryImport(Lib)] internal static partial int ist_tensor_set_requires_grad(IntPtr t, int value);
    [LibraryImport(Lib)] internal static partial int ist_tensor_is_leaf(IntPtr t, out int value);
    [LibraryImport(Lib)] internal static partial int ist_tensor_grad(IntPtr t, out IntPtr grad);
    [LibraryImport(Lib)] internal static partial int ist_tensor_set_grad(IntPtr t, IntPtr grad);
    [LibraryImport(Lib)] internal static partial int ist_tensor_set_data(IntPtr t, IntPtr data);
    [LibraryImport(Lib)] internal static partial int ist_tensor_is_contiguous(IntPtr t, int memoryFormat, out int value);
    [LibraryImport(Lib)] internal static partial int ist_tensor_data_ptr(IntPtr t, out IntPtr ptr);
    [LibraryImport(Lib)] internal static partial int ist_tensor_clone_handle(IntPtr t, out IntPtr result);

    [LibraryImport(Lib)]
    internal static partial int ist_backward(IntPtr* outputs, IntPtr* gradOutputs, int n,
        int retainGraph, int createGraph);
    [LibraryImport(Lib)]
    internal static partial int ist_grad(IntPtr* outputs, IntPtr* gradOutputs, int nOutputs, IntPtr* inputs, int nInputs,
        int retainGraph, int createGraph, int allowUnused, IntPtr* results);
    [LibraryImport(Lib)] internal static partial int ist_grad_enabled(out int enabled);
    [LibraryImport(Lib)] internal static partial int ist_set_grad_enabled(int enabled);
    [LibraryImport(Lib)] internal static partial int ist_inference_mode_enter(out IntPtr guard);
    [LibraryImport(Lib)] internal static partial int ist_inference_mode_exit(IntPtr guard);
    [LibraryImport(Lib)]
    internal static partial int ist_tensor_register_hook(IntPtr t, delegate* unmanaged<IntPtr, IntPtr, IntPtr> fn,
        IntPtr ctx, out long hookId);
    [LibraryImport(Lib)] internal static partial int ist_tensor_remove_hook(IntPtr t, long hookId);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ist_op_find(string name,
        string overload, out IntPtr op);
    [LibraryImport(Lib)] internal static partial int ist_op_schema(IntPtr op, byte* buf, int len);
    [LibraryImport(Lib)]
    internal static partial int ist_op_call(IntPtr op, NativeArg* args, int nargs, NativeValue* outs,
        int maxOuts, out int nouts);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ist_save_tensors(string path,
        IntPtr* names, IntPtr* tensors, int n);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ist_load_tensors(string path,
        out IntPtr dict);
    [LibraryImport(Lib)] internal static partial int ist_dict_size(IntPtr d, out int n);
    [LibraryImport(Lib)] internal static partial int ist_dict_key(IntPtr d, int i, byte* buf, int len);
    [LibraryImport(Lib)] internal static partial int ist_dict_value(IntPtr d, int i, out IntPtr t);
    [LibraryImport(Lib)] internal static partial void ist_dict_free(IntPtr d);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ist_image_read(string path, int mode,
        out IntPtr t);
    [LibraryImport(Lib)] internal static partial int ist_image_decode(byte* data, long len, int mode, out IntPtr t);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial int ist_image_write(string path, IntPtr t);
    [LibraryImport(Lib)]
    internal static partial int ist_image_resize(IntPtr t, int height, int width,
        int interpolation, out IntPtr result);

    [LibraryImport(Lib)] internal static partial int ist_plan_available(out int available, byte* info, int len);
    [LibraryImport(Lib)]
    internal static partial int ist_plan_create(long* inputShape, int ndim, int precision, int convAlgorithm, out IntPtr plan);
    [LibraryImport(Lib)] internal static partial void ist_plan_free(IntPtr plan);
    [LibraryImport(Lib)]
    internal static partial int ist_plan_conv(IntPtr plan, int src, IntPtr weight, IntPtr bias, int strideH, int strideW,
        int padH, int padW, int relu, int residual, out int value);
    [LibraryImport(Lib)]
    internal static partial int ist_plan_pool(IntPtr plan, int src, int kind, int kernelH, int kernelW, int strideH, int strideW,
        int padH, int padW, out int value);
    [LibraryImport(Lib)] internal static partial int ist_plan_linear(IntPtr plan, int src, IntPtr weight, IntPtr bias, out int value);
    [LibraryImport(Lib)] internal static partial int ist_plan_set_output(IntPtr plan, int value);
    [LibraryImport(Lib)] internal static partial int ist_plan_calibrate(IntPtr plan, IntPtr input);
    [LibraryImport(Lib)] internal static partial int ist_plan_run(IntPtr plan, IntPtr input, out IntPtr output);
    [LibraryImport(Lib)] internal static partial int ist_plan_describe(IntPtr plan, byte* buf, int len, out int needed);
}
