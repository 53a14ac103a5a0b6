namespace InSitu.Torch;

/// <summary>Element types, numbered as c10::ScalarType.</summary>
public enum DType
{
    UInt8 = 0,
    Int8 = 1,
    Int16 = 2,
    Int32 = 3,
    Int64 = 4,
    Float16 = 5,
    Float32 = 6,
    Float64 = 7,
    Bool = 11,
    BFloat16 = 15,
}

/// <summary>Memory layouts, numbered as c10::MemoryFormat.</summary>
public enum MemoryFormat
{
    Contiguous = 0,
    Preserve = 1,
    ChannelsLast = 2,
}

public static class DTypeExtensions
{
    public static int ElementSize(this DType t) => t switch
    {
        DType.UInt8 or DType.Int8 or DType.Bool => 1,
        DType.Int16 or DType.Float16 or DType.BFloat16 => 2,
        DType.Int32 or DType.Float32 => 4,
        DType.Int64 or DType.Float64 => 8,
        _ => throw new TorchException($"unknown dtype {t}"),
    };

    public static bool IsFloating(this DType t) => t is DType.Float16 or DType.Float32 or DType.Float64 or DType.BFloat16;

    public static string Name(this DType t) => t switch
    {
        DType.UInt8 => "uint8",
        DType.Int8 => "int8",
        DType.Int16 => "int16",
        DType.Int32 => "int32",
        DType.Int64 => "int64",
        DType.Float16 => "float16",
        DType.Float32 => "float32",
        DType.Float64 => "float64",
        DType.Bool => "bool",
        DType.BFloat16 => "bfloat16",
        _ => t.ToString(),
    };

    internal static DType Of<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return DType.Float32;
        if (typeof(T) == typeof(double)) return DType.Float64;
        if (typeof(T) == typeof(long)) return DType.Int64;
        if (typeof(T) == typeof(int)) return DType.Int32;
        if (typeof(T) == typeof(short)) return DType.Int16;
        if (typeof(T) == typeof(byte)) return DType.UInt8;
        if (typeof(T) == typeof(sbyte)) return DType.Int8;
        if (typeof(T) == typeof(bool)) return DType.Bool;
        if (typeof(T) == typeof(Half)) return DType.Float16;
        throw new TorchException($"no tensor dtype for {typeof(T).Name}");
    }
}

/// <summary>A device: CPU or a CUDA GPU (c10::DeviceType numbering).</summary>
public readonly record struct Device(DeviceType Type, int Index = -1)
{
    public static readonly Device CPU = new(DeviceType.CPU);
    public static Device Cuda(int index = 0) => new(DeviceType.Cuda, index);

    public static Device Parse(string s)
    {
        s = s.Trim().ToLowerInvariant();
        if (s == "cpu") return CPU;
        if (s == "cuda") return Cuda(0);
        if (s.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(s.AsSpan(5), out var i)) return Cuda(i);
        throw new TorchException($"unknown device '{s}': use cpu, cuda or cuda:N");
    }

    public override string ToString() => Type == DeviceType.CPU ? "cpu" : Index >= 0 ? $"cuda:{Index}" : "cuda";
}

public enum DeviceType
{
    CPU = 0,
    Cuda = 1,
}
