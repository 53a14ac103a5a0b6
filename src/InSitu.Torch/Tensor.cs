using System.Runtime.InteropServices;

namespace InSitu.Torch;

/// <summary>
/// A libtorch tensor. Its memory is released by Dispose (usually through a <see cref="DisposeScope"/>); the
/// finalizer is only a safety net for tensors that escaped every scope.
/// </summary>
public partial class Tensor : IDisposable
{
    // Every method that hands this handle to native code ends with GC.KeepAlive(this): otherwise, for a tensor
    // outside any scope, the JIT may treat `this` as dead once the handle is read and the finalizer could free
    // it while the native call is still using it.
    private IntPtr _handle;
    internal DisposeScope? Scope;
    private static long _live;

    /// <summary>Tensors whose native memory is held now: created and neither disposed nor finalised (for leak tests).</summary>
    internal static long Live => Interlocked.Read(ref _live);

    internal Tensor(IntPtr handle)
    {
        if (handle == IntPtr.Zero) throw new TorchException("native call returned an empty tensor handle");
        _handle = handle;
        Interlocked.Increment(ref _live);
        Scope = DisposeScope.Current;
        Scope?.Add(this);
    }

    ~Tensor()
    {
        if (_handle == IntPtr.Zero) return;
        Native.ist_tensor_free(_handle);
        Interlocked.Decrement(ref _live);
    }

    internal IntPtr Handle
    {
        get
        {
            if (_handle == IntPtr.Zero)
                throw new ObjectDisposedException("Tensor",
                    "this tensor was already disposed (was it created inside a DisposeScope that has closed?)");
            return _handle;
        }
    }

    public bool IsDisposed => _handle == IntPtr.Zero;

    public void Dispose()
    {
        if (_handle == IntPtr.Zero) return;
        Scope?.Remove(this);
        Scope = null;
        Native.ist_tensor_free(_handle);
        _handle = IntPtr.Zero;
        Interlocked.Decrement(ref _live);
        GC.SuppressFinalize(this);
    }

    /// <summary>Removes the tensor from any dispose scope: it then lives until disposed explicitly.</summary>
    public Tensor DetachFromScope()
    {
        Scope?.Remove(this);
        Scope = null;
        return this;
    }

    /// <summary>Moves the tensor out of its scope into the enclosing one (see <see cref="DisposeScope.MoveToOuter{T}"/>).</summary>
    public Tensor MoveToOuterScope() => Scope is null ? this : Scope.MoveToOuter(this);

    /// <summary>A second handle to the same tensor (shares storage and autograd identity).</summary>
    public Tensor Alias()
    {
        Native.Check(Native.ist_tensor_clone_handle(Handle, out var h));
        GC.KeepAlive(this);
        return new Tensor(h);
    }

    // ---- metadata -------------------------------------------------------------------------------------------

    private unsafe (DType dtype, long[] shape, Device device) Info()
    {
        long* shape = stackalloc long[16];
        Native.Check(Native.ist_tensor_info(Handle, out var dtype, out var ndim, shape, out var dt, out var di));
        GC.KeepAlive(this);
        var s = new long[ndim];
        for (int i = 0; i < ndim; i++) s[i] = shape[i];
        return ((DType)dtype, s, new Device((DeviceType)dt, di));
    }

    public long[] Shape => Info().shape;
    public DType DType => Info().dtype;
    public Device Device => Info().device;
    public int Dim => Shape.Length;
    public long NumEl => Shape.Aggregate(1L, (a, b) => a * b);

    public long Size(int dim)
    {
        var s = Shape;
        if (dim < 0) dim += s.Length;
        if (dim < 0 || dim >= s.Length) throw new TorchException($"dimension {dim} out of range for a tensor of shape {FormatShape(s)}");
        return s[dim];
    }

    public static string FormatShape(long[] shape) => "[" + string.Join(", ", shape) + "]";

    public override string ToString()
    {
        if (IsDisposed) return "Tensor(disposed)";
        var (dtype, shape, device) = Info();
        return $"Tensor{FormatShape(shape)} {dtype.Name()}{(device.Type == DeviceType.CPU ? "" : " " + device)}";
    }

    public bool RequiresGrad
    {
        get { Native.Check(Native.ist_tensor_requires_grad(Handle, out var v)); GC.KeepAlive(this); return v != 0; }
        set { Native.Check(Native.ist_tensor_set_requires_grad(Handle, value ? 1 : 0)); GC.KeepAlive(this); }
    }

    public Tensor RequiresGrad_(bool value = true)
    {
        RequiresGrad = value;
        return this;
    }

    public bool IsLeaf
    {
        get { Native.Check(Native.ist_tensor_is_leaf(Handle, out var v)); GC.KeepAlive(this); return v != 0; }
    }

    /// <summary>The accumulated gradient, or null. A new handle each call: dispose it (or let the scope do it).</summary>
    public Tensor? Grad
    {
        get
        {
            Native.Check(Native.ist_tensor_grad(Handle, out var g));
            GC.KeepAlive(this);
            return g == IntPtr.Zero ? null : new Tensor(g);
        }
        set
        {
            Native.Check(Native.ist_tensor_set_grad(Handle, value?.Handle ?? IntPtr.Zero));
            GC.KeepAlive(this);
            GC.KeepAlive(value);
        }
    }

    /// <summary>Replaces the tensor's data while keeping its identity (as parameters do in PyTorch).</summary>
    public void SetData(Tensor data)
    {
        Native.Check(Native.ist_tensor_set_data(Handle, data.Handle));
        GC.KeepAlive(this);
        GC.KeepAlive(data);
    }

    public bool IsContiguous(MemoryFormat format = MemoryFormat.Contiguous)
    {
        Native.Check(Native.ist_tensor_is_contiguous(Handle, (int)format, out var v));
        GC.KeepAlive(this);
        return v != 0;
    }

    // ---- data in and out ------------------------------------------------------------------------------------

    public static unsafe Tensor FromArray<T>(ReadOnlySpan<T> data, params long[] shape) where T : unmanaged
    {
        long n = shape.Aggregate(1L, (a, b) => a * b);
        if (n != data.Length)
            throw new TorchException($"shape {FormatShape(shape)} holds {n} elements but {data.Length} were given");
        var dtype = DTypeExtensions.Of<T>();
        fixed (T* p = data)
        fixed (long* s = shape)
        {
            Native.Check(Native.ist_tensor_from_data(p, s, shape.Length, (int)dtype, out var h));
            return new Tensor(h);
        }
    }

    public static Tensor FromArray<T>(T[] data, params long[] shape) where T : unmanaged =>
        FromArray((ReadOnlySpan<T>)data, shape.Length == 0 ? new long[] { data.Length } : shape);

    /// <summary>A 0-d tensor holding one value.</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32)
    {
        // The span overload keeps the empty shape (the array overload reads an empty shape as "1-d of all elements").
        using var d = FromArray((ReadOnlySpan<double>)new[] { value }, Array.Empty<long>());
        return d.Cast(dtype);
    }

    /// <summary>Copies the elements (row-major, on the CPU) into a new array of the tensor's own element type.</summary>
    public unsafe T[] ToArray<T>() where T : unmanaged
    {
        var (dtype, shape, _) = Info();
        var want = DTypeExtensions.Of<T>();
        if (dtype != want)
            throw new TorchException($"tensor is {dtype.Name()}, but {want.Name()} ({typeof(T).Name}) elements were requested; convert " +
                $"with .Cast(DType.{want}) first");
        long n = shape.Aggregate(1L, (a, b) => a * b);
        var result = new T[n];
        fixed (T* p = result) Native.Check(Native.ist_tensor_copy_to(Handle, p, n * sizeof(T)));
        GC.KeepAlive(this);
        return result;
    }

    /// <summary>The elements as float32 (converted when needed).</summary>
    public float[] ToFloatArray() => ToArrayAs<float>();

    public double[] ToDoubleArray() => ToArrayAs<double>();

    public long[] ToLongArray() => ToArrayAs<long>();

    /// <summary>The elements as T, converting the dtype first when it differs.</summary>
    private T[] ToArrayAs<T>() where T : unmanaged
    {
        var want = DTypeExtensions.Of<T>();
        if (DType == want) return ToArray<T>();
        using var c = Cast(want);
        return c.ToArray<T>();
    }

    /// <summary>The single value of a one-element tensor.</summary>
    public double Item()
    {
        var n = NumEl;
        if (n != 1) throw new TorchException($"Item() needs a one-element tensor, got shape {FormatShape(Shape)}");
        return ToDoubleArray()[0];
    }

    /// <summary>Raw pointer to a contiguous CPU tensor's first element (valid while the tensor lives).</summary>
    public IntPtr DataPointer()
    {
        if (!IsContiguous()) throw new TorchException("DataPointer() needs a contiguous tensor: call .Contiguous() first");
        Native.Check(Native.ist_tensor_data_ptr(Handle, out var p));
        return p;
    }
}
