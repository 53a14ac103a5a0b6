namespace InSitu.Torch;

/// <summary>Tensor factories (zeros, ones, random, ranges) on a chosen dtype and device.</summary>
public static class Factory
{
    private static readonly Op zeros_ = new("aten::zeros"), ones_ = new("aten::ones"), full_ = new("aten::full"),
        empty_ = new("aten::empty", "memory_format"), rand_ = new("aten::rand"), randn_ = new("aten::randn"),
        randint_ = new("aten::randint", "low"), arange_ = new("aten::arange", "start_step"), linspace_ = new("aten::linspace"),
        eye_ = new("aten::eye"), randperm_ = new("aten::randperm"), zeros_like_ = new("aten::zeros_like"),
        ones_like_ = new("aten::ones_like"), randn_like_ = new("aten::randn_like"), rand_like_ = new("aten::rand_like");

    private static OpCall Opts(this OpCall c, DType dtype, Device? device) =>
        c.Int((int)dtype).None().Device(device ?? Device.CPU).None();

    public static Tensor Zeros(long[] shape, DType dtype = DType.Float32, Device? device = null)
        => new OpCall(zeros_).Ints(shape).Opts(dtype, device).InvokeTensor();
    public static Tensor Ones(long[] shape, DType dtype = DType.Float32, Device? device = null)
        => new OpCall(ones_).Ints(shape).Opts(dtype, device).InvokeTensor();
    public static Tensor Full(long[] shape, double value, DType dtype = DType.Float32, Device? device = null) =>
        new OpCall(full_).Ints(shape).Double(value).Opts(dtype, device).InvokeTensor();
    public static Tensor Empty(long[] shape, DType dtype = DType.Float32, Device? device = null) =>
        new OpCall(empty_).Ints(shape).Opts(dtype, device).None().InvokeTensor();
    /// <summary>Uniform on [0, 1).</summary>
    public static Tensor Rand(long[] shape, DType dtype = DType.Float32, Device? device = null)
        => new OpCall(rand_).Ints(shape).Opts(dtype, device).InvokeTensor();
    /// <summary>Standard normal.</summary>
    public static Tensor Randn(long[] shape, DType dtype = DType.Float32, Device? device = null)
        => new OpCall(randn_).Ints(shape).Opts(dtype, device).InvokeTensor();
    /// <summary>Integers uniform on [low, high).</summary>
    public static Tensor RandInt(long low, long high, long[] shape, Device? device = null) =>
        new OpCall(randint_).Int(low).Int(high).Ints(shape).Opts(DType.Int64, device).InvokeTensor();
    public static Tensor RandPerm(long n, Device? device = null) => new OpCall(randperm_).Int(n).Opts(DType.Int64, device).InvokeTensor();
    public static Tensor Arange(double start, double end, double step = 1, DType dtype = DType.Float32, Device? device = null) =>
        new OpCall(arange_).Double(start).Double(end).Double(step).Opts(dtype, device).InvokeTensor();
    public static Tensor Linspace(double start, double end, long steps, DType dtype = DType.Float32, Device? device = null) =>
        new OpCall(linspace_).Double(start).Double(end).Int(steps).Opts(dtype, device).InvokeTensor();
    public static Tensor Eye(long n, DType dtype = DType.Float32, Device? device = null)
        => new OpCall(eye_).Int(n).Opts(dtype, device).InvokeTensor();

    private static OpCall Like(Op op, Tensor t) => new OpCall(op).Tensor(t).None().None().None().None().None();
    public static Tensor ZerosLike(Tensor t) => Like(zeros_like_, t).InvokeTensor();
    public static Tensor OnesLike(Tensor t) => Like(ones_like_, t).InvokeTensor();
    public static Tensor RandnLike(Tensor t) => Like(randn_like_, t).InvokeTensor();
    public static Tensor RandLike(Tensor t) => Like(rand_like_, t).InvokeTensor();
}
