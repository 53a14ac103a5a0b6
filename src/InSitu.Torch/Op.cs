using System.Runtime.InteropServices;
using System.Text;

namespace InSitu.Torch;

/// <summary>An aten operator found by schema name, e.g. <c>new Op("aten::conv2d")</c>; looked up once, on first use.</summary>
public sealed class Op
{
    private IntPtr _handle;
    public string Name { get; }
    public string Overload { get; }

    public Op(string name, string overload = "")
    {
        Name = name;
        Overload = overload;
    }

    internal IntPtr Handle
    {
        get
        {
            if (_handle == IntPtr.Zero)
            {
                Native.Check(Native.ist_op_find(Name, Overload, out var h));
                _handle = h;
            }
            return _handle;
        }
    }

    public string FullName => Overload.Length == 0 ? Name : $"{Name}.{Overload}";

    /// <summary>The operator's schema as libtorch declares it (argument order and defaults).</summary>
    public unsafe string Schema()
    {
        var buf = stackalloc byte[4096];
        Native.Check(Native.ist_op_schema(Handle, buf, 4096));
        return Marshal.PtrToStringUTF8((IntPtr)buf) ?? "";
    }

    public override string ToString() => FullName;
}

/// <summary>
/// Per-thread unmanaged scratch memory for argument lists; calls take a mark and release back to it, so nested
/// calls (from autograd hooks) are safe and nothing is allocated on the managed heap per op.
/// </summary>
internal sealed unsafe class ArgArena
{
    [ThreadStatic] private static ArgArena? _current;
    public static ArgArena Current => _current ??= new ArgArena();

    private const int Capacity = 1 << 20;
    private readonly byte* _memory = (byte*)NativeMemory.AlignedAlloc(Capacity, 16);
    public int Offset;
    public readonly List<Tensor> KeepAlive = new();

    public void* Alloc(int bytes)
    {
        int aligned = (bytes + 15) & ~15;
        if (Offset + aligned > Capacity) throw new TorchException("operator argument list too large");
        var p = _memory + Offset;
        Offset += aligned;
        return p;
    }
}

/// <summary>
/// Builds one call to an aten operator: push arguments in schema order, then invoke. A failing call raises a
/// <see cref="TorchException"/> whose message names the operator and the shapes and dtypes of its tensor
/// arguments next to libtorch's own text.
/// </summary>
public unsafe ref struct OpCall
{
    private const int MaxArgs = 40, MaxOuts = 64;
    private readonly Op _op;
    private readonly ArgArena _arena;
    private readonly int _mark;
    private readonly int _keepMark;
    private readonly NativeArg* _args;
    private int _n;

    public OpCall(Op op)
    {
        _op = op;
        _arena = ArgArena.Current;
        _mark = _arena.Offset;
        _keepMark = _arena.KeepAlive.Count;
        _args = (NativeArg*)_arena.Alloc(sizeof(NativeArg) * MaxArgs);
        _n = 0;
    }

    private ref NativeArg Next(int kind)
    {
        if (_n >= MaxArgs) throw new TorchException($"{_op.FullName}: too many arguments");
        ref var a = ref _args[_n++];
        a = default;
        a.Kind = kind;
        return ref a;
    }

    public OpCall Tensor(Tensor? t)
    {
        ref var a = ref Next(t is null ? ArgKind.None : ArgKind.Tensor);
        if (t is not null)
        {
            a.P = t.Handle;
            _arena.KeepAlive.Add(t);
        }
        return this;
    }

    public OpCall None()
    {
        Next(ArgKind.None);
        return this;
    }

    public OpCall Int(long v)
    {
        Next(ArgKind.Int).I = v;
        return this;
    }

    public OpCall OptInt(long? v) => v.HasValue ? Int(v.Value) : None();

    public OpCall Double(double v)
    {
        Next(ArgKind.Double).D = v;
        return this;
    }

    public OpCall OptDouble(double? v) => v.HasValue ? Double(v.Value) : None();

    public OpCall Bool(bool v)
    {
        Next(ArgKind.Bool).I = v ? 1 : 0;
        return this;
    }

    public OpCall OptBool(bool? v) => v.HasValue ? Bool(v.Value) : None();

    public OpCall DType(DType? t) => t.HasValue ? Int((int)t.Value) : None();

    public OpCall Ints(ReadOnlySpan<long> v) => List(v, ArgKind.IntList);

    public OpCall OptInts(long[]? v) => v is null ? None() : Ints(v);

    public OpCall Doubles(ReadOnlySpan<double> v) => List(v, ArgKind.DoubleList);

    /// <summary>Copies a list of numbers into the arena (it outlives the managed span for the call's duration).</summary>
    private OpCall List<T>(ReadOnlySpan<T> v, int kind) where T : unmanaged
    {
        var p = (T*)_arena.Alloc(sizeof(T) * Math.Max(1, v.Length));
        v.CopyTo(new Span<T>(p, v.Length));
        ref var a = ref Next(kind);
        a.P = (IntPtr)p;
        a.Len = v.Length;
        return this;
    }

    public OpCall Bools(ReadOnlySpan<bool> v)
    {
        var p = (long*)_arena.Alloc(sizeof(long) * Math.Max(1, v.Length));
        for (int i = 0; i < v.Length; i++) p[i] = v[i] ? 1 : 0;
        ref var a = ref Next(ArgKind.BoolList);
        a.P = (IntPtr)p;
        a.Len = v.Length;
        return this;
    }

    public OpCall Tensors(ReadOnlySpan<Tensor> ts) => TensorList(ts!, ArgKind.TensorList);

    /// <summary>A Tensor?[] argument: null entries are passed as None (used by advanced indexing).</summary>
    public OpCall OptTensors(ReadOnlySpan<Tensor?> ts) => TensorList(ts, ArgKind.OptTensorList);

    private OpCall TensorList(ReadOnlySpan<Tensor?> ts, int kind)
    {
        var p = (IntPtr*)_arena.Alloc(sizeof(IntPtr) * Math.Max(1, ts.Length));
        for (int i = 0; i < ts.Length; i++)
        {
            var t = ts[i];
            if (t is null && kind == ArgKind.TensorList) throw new TorchException($"{_op.FullName}: null tensor in a tensor list");
            p[i] = t?.Handle ?? IntPtr.Zero;
            if (t is not null) _arena.KeepAlive.Add(t);
        }
        ref var a = ref Next(kind);
        a.P = (IntPtr)p;
        a.Len = ts.Length;
        return this;
    }

    public OpCall String(string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        var p = (byte*)_arena.Alloc(bytes.Length + 1);
        bytes.CopyTo(new Span<byte>(p, bytes.Length));
        p[bytes.Length] = 0;
        Next(ArgKind.String).P = (IntPtr)p;
        return this;
    }

    public OpCall Device(Device? d)
    {
        if (!d.HasValue) return None();
        ref var a = ref Next(ArgKind.Device);
        a.I = (int)d.Value.Type;
        a.Len = d.Value.Index;
        return this;
    }

    /// <summary>Runs the operator and returns its results (tensors, list marks, scalars) as native values.</summary>
    private int Invoke(NativeValue* outs)
    {
        try
        {
            if (Native.ist_op_call(_op.Handle, _args, _n, outs, MaxOuts, out var count) != 0)
                throw new TorchException(Describe() + ": " + Native.LastError());
            return count;
        }
        finally
        {
            _arena.Offset = _mark;
            _arena.KeepAlive.RemoveRange(_keepMark, _arena.KeepAlive.Count - _keepMark);
        }
    }

    private string Describe()
    {
        var parts = new List<string>();
        for (int i = 0; i < _n; i++)
        {
            var a = _args[i];
            parts.Add(a.Kind switch
            {
                ArgKind.Tensor => DescribeTensor(a.P),
                ArgKind.Int => a.I.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ArgKind.Double => a.D.ToString("G6", System.Globalization.CultureInfo.InvariantCulture),
                ArgKind.Bool => a.I != 0 ? "true" : "false",
                ArgKind.None => "None",
                ArgKind.IntList => "[" + string.Join(", ", new ReadOnlySpan<long>((void*)a.P, a.Len).ToArray()) + "]",
                ArgKind.TensorList or ArgKind.OptTensorList => "[" + string.Join(", ",
                    Enumerable.Range(0, a.Len).Select(j => ((IntPtr*)a.P)[j] == IntPtr.Zero ? "None" : DescribeTensor(((IntPtr*)a.P)[j]))) +
                        "]",
                _ => "…",
            });
        }
        return $"{_op.FullName}({string.Join(", ", parts)})";
    }

    private static string DescribeTensor(IntPtr h)
    {
        long* shape = stackalloc long[16];
        if (Native.ist_tensor_info(h, out var dt, out var nd, shape, out _, out _) != 0) return "Tensor(?)";
        var s = new long[nd];
        for (int i = 0; i < nd; i++) s[i] = shape[i];
        return $"Tensor{Torch.Tensor.FormatShape(s)} {((DType)dt).Name()}";
    }

    public Tensor InvokeTensor()
    {
        var outs = stackalloc NativeValue[MaxOuts];
        int count = Invoke(outs);
        // Single-result ops; any further tensor results are released.
        Tensor? result = null;
        for (int i = 0; i < count; i++)
        {
            if (outs[i].Kind != ArgKind.Tensor || outs[i].T == IntPtr.Zero) continue;
            if (result is null) result = new Tensor(outs[i].T);
            else Native.ist_tensor_free(outs[i].T);
        }
        return result ?? throw new TorchException($"{_op.FullName} returned no tensor");
    }

    /// <summary>Every tensor result in order (tuples and lists flattened); undefined results become null.</summary>
    public Tensor?[] InvokeTensors()
    {
        var outs = stackalloc NativeValue[MaxOuts];
        int count = Invoke(outs);
        var list = new List<Tensor?>(count);
        for (int i = 0; i < count; i++)
            if (outs[i].Kind == ArgKind.Tensor) list.Add(outs[i].T == IntPtr.Zero ? null : new Tensor(outs[i].T));
        return list.ToArray();
    }

    /// <summary>For in-place and out= ops: runs the op and drops the alias of self it returns.</summary>
    public void InvokeInPlace()
    {
        var outs = stackalloc NativeValue[MaxOuts];
        int count = Invoke(outs);
        for (int i = 0; i < count; i++)
            if (outs[i].Kind == ArgKind.Tensor && outs[i].T != IntPtr.Zero) Native.ist_tensor_free(outs[i].T);
    }

    public double InvokeDouble()
    {
        var outs = stackalloc NativeValue[MaxOuts];
        int count = Invoke(outs);
        if (count < 1) throw new TorchException($"{_op.FullName} returned nothing");
        return outs[0].Kind switch
        {
            ArgKind.Double => outs[0].D,
            ArgKind.Int or ArgKind.Bool => outs[0].I,
            _ => throw new TorchException($"{_op.FullName} did not return a number"),
        };
    }
}
