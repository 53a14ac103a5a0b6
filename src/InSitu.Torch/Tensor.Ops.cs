namespace InSitu.Torch;

/// <summary>Elementwise, reduction, shape and linear-algebra operations, each one aten operator.</summary>
public partial class Tensor
{
    private static readonly Op add_T = new("aten::add", "Tensor"), add_S = new("aten::add", "Scalar"),
        sub_T = new("aten::sub", "Tensor"), sub_S = new("aten::sub", "Scalar"), mul_T = new("aten::mul", "Tensor"),
        mul_S = new("aten::mul", "Scalar"), div_T = new("aten::div", "Tensor"), div_S = new("aten::div", "Scalar"),
        rsub_S = new("aten::rsub", "Scalar"), neg_ = new("aten::neg"), abs_ = new("aten::abs"), exp_ = new("aten::exp"),
        log_ = new("aten::log"), log1p_ = new("aten::log1p"), sqrt_ = new("aten::sqrt"), rsqrt_ = new("aten::rsqrt"),
        pow_S = new("aten::pow", "Tensor_Scalar"), pow_T = new("aten::pow", "Tensor_Tensor"), sin_ = new("aten::sin"),
        cos_ = new("aten::cos"), tanh_ = new("aten::tanh"), sigmoid_ = new("aten::sigmoid"), sign_ = new("aten::sign"),
        floor_ = new("aten::floor"), ceil_ = new("aten::ceil"), round_ = new("aten::round"),
        reciprocal_ = new("aten::reciprocal"), square_ = new("aten::square"), clamp_ = new("aten::clamp"),
        where_ = new("aten::where", "self"), maximum_ = new("aten::maximum"), minimum_ = new("aten::minimum"),
        eq_T = new("aten::eq", "Tensor"), eq_S = new("aten::eq", "Scalar"), ne_T = new("aten::ne", "Tensor"),
        ne_S = new("aten::ne", "Scalar"), lt_T = new("aten::lt", "Tensor"), lt_S = new("aten::lt", "Scalar"),
        le_T = new("aten::le", "Tensor"), le_S = new("aten::le", "Scalar"), gt_T = new("aten::gt", "Tensor"),
        gt_S = new("aten::gt", "Scalar"), ge_T = new("aten::ge", "Tensor"), ge_S = new("aten::ge", "Scalar"),
        logical_and_ = new("aten::logical_and"), logical_or_ = new("aten::logical_or"), logical_not_ = new("aten::logical_not"),
        isnan_ = new("aten::isnan"), isfinite_ = new("aten::isfinite"),
        sum_ = new("aten::sum"), sum_dim = new("aten::sum", "dim_IntList"), mean_ = new("aten::mean"),
        mean_dim = new("aten::mean", "dim"), max_ = new("aten::max"), max_dim = new("aten::max", "dim"),
        min_ = new("aten::min"), min_dim = new("aten::min", "dim"), argmax_ = new("aten::argmax"), argmin_ = new("aten::argmin"),
        std_ = new("aten::std", "correction"), var_ = new("aten::var", "correction"), prod_ = new("aten::prod"),
        norm_ = new("aten::norm", "ScalarOpt_dim"), norm_all = new("aten::norm", "Scalar"), logsumexp_ = new("aten::logsumexp"),
        softmax_ = new("aten::softmax", "int"), log_softmax_ = new("aten::log_softmax", "int"), cumsum_ = new("aten::cumsum"),
        topk_ = new("aten::topk"), sort_ = new("aten::sort"), all_ = new("aten::all"), any_ = new("aten::any"),
        view_ = new("aten::view"), reshape_ = new("aten::reshape"), flatten_ = new("aten::flatten", "using_ints"),
        squeeze_ = new("aten::squeeze"), squeeze_dim = new("aten::squeeze", "dim"), unsqueeze_ = new("aten::unsqueeze"),
        permute_ = new("aten::permute"), transpose_ = new("aten::transpose", "int"), contiguous_ = new("aten::contiguous"),
        expand_ = new("aten::expand"), repeat_ = new("aten::repeat"), narrow_ = new("aten::narrow"),
        select_ = new("aten::select", "int"), slice_ = new("aten::slice", "Tensor"), index_ = new("aten::index", "Tensor"),
        index_select_ = new("aten::index_select"), gather_ = new("aten::gather"), scatter_ = new("aten::scatter", "src"),
        masked_fill_S = new("aten::masked_fill", "Scalar"), flip_ = new("aten::flip"), roll_ = new("aten::roll"),
        clone_ = new("aten::clone"), detach_op = new("aten::detach"), to_dtype = new("aten::to", "dtype"),
        to_device = new("aten::to", "device"), matmul_ = new("aten::matmul"), mm_ = new("aten::mm"), bmm_ = new("aten::bmm"),
        outer_ = new("aten::outer"), einsum_ = new("aten::einsum"), index_put_ = new("aten::index_put_"),
        add_i = new("aten::add_", "Tensor"), add_iS = new("aten::add_", "Scalar"), mul_i = new("aten::mul_", "Tensor"),
        mul_iS = new("aten::mul_", "Scalar"), div_i = new("aten::div_", "Tensor"), div_iS = new("aten::div_", "Scalar"),
        sub_i = new("aten::sub_", "Tensor"), zero_i = new("aten::zero_"), fill_i = new("aten::fill_", "Scalar"),
        copy_i = new("aten::copy_"), addcmul_i = new("aten::addcmul_"), addcdiv_i = new("aten::addcdiv_"),
        lerp_i = new("aten::lerp_", "Scalar"), sqrt_i = new("aten::sqrt_"), clamp_i = new("aten::clamp_"),
        uniform_i = new("aten::uniform_"), normal_i = new("aten::normal_"), masked_fill_i = new("aten::masked_fill_", "Scalar"),
        relu_ = new("aten::relu"), constant_pad = new("aten::constant_pad_nd"), nonzero_ = new("aten::nonzero"),
        bernoulli_p = new("aten::bernoulli", "p"), unbind_ = new("aten::unbind", "int"), split_ = new("aten::split", "Tensor"),
        chunk_ = new("aten::chunk"), type_as_ = new("aten::type_as"), diag_ = new("aten::diag"), t_ = new("aten::t"),
        trunc_ = new("aten::trunc"), fmod_S = new("aten::fmod", "Scalar"), remainder_S = new("aten::remainder", "Scalar"),
        cat_ = new("aten::cat"), stack_ = new("aten::stack");

    private static OpCall C(Op op) => new(op);

    // ---- arithmetic (broadcasting) ---------------------------------------------------------------------------
    public Tensor Add(Tensor other, double alpha = 1) => C(add_T).Tensor(this).Tensor(other).Double(alpha).InvokeTensor();
    public Tensor Add(double other) => C(add_S).Tensor(this).Double(other).Double(1).InvokeTensor();
    public Tensor Sub(Tensor other, double alpha = 1) => C(sub_T).Tensor(this).Tensor(other).Double(alpha).InvokeTensor();
    public Tensor Sub(double other) => C(sub_S).Tensor(this).Double(other).Double(1).InvokeTensor();
    public Tensor Mul(Tensor other) => C(mul_T).Tensor(this).Tensor(other).InvokeTensor();
    public Tensor Mul(double other) => C(mul_S).Tensor(this).Double(other).InvokeTensor();
    public Tensor Div(Tensor other) => C(div_T).Tensor(this).Tensor(other).InvokeTensor();
    public Tensor Div(double other) => C(div_S).Tensor(this).Double(other).InvokeTensor();
    public Tensor RSub(double other) => C(rsub_S).Tensor(this).Double(other).Double(1).InvokeTensor();
    public Tensor Neg() => C(neg_).Tensor(this).InvokeTensor();
    public Tensor Abs() => C(abs_).Tensor(this).InvokeTensor();
    public Tensor Exp() => C(exp_).Tensor(this).InvokeTensor();
    public Tensor Log() => C(log_).Tensor(this).InvokeTensor();
    public Tensor Log1p() => C(log1p_).Tensor(this).InvokeTensor();
    public Tensor Sqrt() => C(sqrt_).Tensor(this).InvokeTensor();
    public Tensor Rsqrt() => C(rsqrt_).Tensor(this).InvokeTensor();
    public Tensor Pow(double exponent) => C(pow_S).Tensor(this).Double(exponent).InvokeTensor();
    public Tensor Pow(Tensor exponent) => C(pow_T).Tensor(this).Tensor(exponent).InvokeTensor();
    public Tensor Sin() => C(sin_).Tensor(this).InvokeTensor();
    public Tensor Cos() => C(cos_).Tensor(this).InvokeTensor();
    public Tensor Tanh() => C(tanh_).Tensor(this).InvokeTensor();
    public Tensor Sigmoid() => C(sigmoid_).Tensor(this).InvokeTensor();
    public Tensor Relu() => C(relu_).Tensor(this).InvokeTensor();
    public Tensor Sign() => C(sign_).Tensor(this).InvokeTensor();
    public Tensor Floor() => C(floor_).Tensor(this).InvokeTensor();
    public Tensor Ceil() => C(ceil_).Tensor(this).InvokeTensor();
    public Tensor Round() => C(round_).Tensor(this).InvokeTensor();
    public Tensor Trunc() => C(trunc_).Tensor(this).InvokeTensor();
    public Tensor Fmod(double d) => C(fmod_S).Tensor(this).Double(d).InvokeTensor();
    public Tensor Remainder(double d) => C(remainder_S).Tensor(this).Double(d).InvokeTensor();
    public Tensor Reciprocal() => C(reciprocal_).Tensor(this).InvokeTensor();
    public Tensor Square() => C(square_).Tensor(this).InvokeTensor();
    public Tensor Clamp(double? min = null, double? max = null) => C(clamp_).Tensor(this).OptDouble(min).OptDouble(max).InvokeTensor();
    public Tensor ClampMin(double min) => Clamp(min, null);
    public Tensor Maximum(Tensor other) => C(maximum_).Tensor(this).Tensor(other).InvokeTensor();
    public Tensor Minimum(Tensor other) => C(minimum_).Tensor(this).Tensor(other).InvokeTensor();
    /// <summary>Elementwise choice: where condition holds take this, else other.</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b) => C(where_).Tensor(condition).Tensor(a).Tensor(b).InvokeTensor();

    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);
    public static Tensor operator +(Tensor a, double b) => a.Add(b);
    public static Tensor operator +(double a, Tensor b) => b.Add(a);
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);
    public static Tensor operator -(Tensor a, double b) => a.Sub(b);
    public static Tensor operator -(double a, Tensor b) => b.RSub(a);
    public static Tensor operator -(Tensor a) => a.Neg();
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);
    public static Tensor operator *(Tensor a, double b) => a.Mul(b);
    public static Tensor operator *(double a, Tensor b) => b.Mul(a);
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);
    public static Tensor operator /(Tensor a, double b) => a.Div(b);
    public static Tensor operator /(double a, Tensor b)
    {
        using var r = b.Reciprocal();
        return r.Mul(a);
    }

    // ---- comparison and logic --------------------------------------------------------------------------------
    public Tensor Eq(Tensor o) => C(eq_T).Tensor(this).Tensor(o).InvokeTensor();
    public Tensor Eq(double o) => C(eq_S).Tensor(this).Double(o).InvokeTensor();
    public Tensor Ne(Tensor o) => C(ne_T).Tensor(this).Tensor(o).InvokeTensor();
    public Tensor Ne(double o) => C(ne_S).Tensor(this).Double(o).InvokeTensor();
    public Tensor Lt(Tensor o) => C(lt_T).Tensor(this).Tensor(o).InvokeTensor();
    public Tensor Lt(double o) => C(lt_S).Tensor(this).Double(o).InvokeTensor();
    public Tensor Le(Tensor o) => C(le_T).Tensor(this).Tensor(o).InvokeTensor();
    public Tensor Le(double o) => C(le_S).Tensor(this).Double(o).InvokeTensor();
    public Tensor Gt(Tensor o) => C(gt_T).Tensor(this).Tensor(o).InvokeTensor();
    public Tensor Gt(double o) => C(gt_S).Tensor(this).Double(o).InvokeTensor();
    public Tensor Ge(Tensor o) => C(ge_T).Tensor(this).Tensor(o).InvokeTensor();
    public Tensor Ge(double o) => C(ge_S).Tensor(this).Double(o).InvokeTensor();
    public Tensor LogicalAnd(Tensor o) => C(logical_and_).Tensor(this).Tensor(o).InvokeTensor();
    public Tensor LogicalOr(Tensor o) => C(logical_or_).Tensor(this).Tensor(o).InvokeTensor();
    public Tensor LogicalNot() => C(logical_not_).Tensor(this).InvokeTensor();
    public Tensor IsNan() => C(isnan_).Tensor(this).InvokeTensor();
    public Tensor IsFinite() => C(isfinite_).Tensor(this).InvokeTensor();
    public Tensor All() => C(all_).Tensor(this).InvokeTensor();
    public Tensor Any() => C(any_).Tensor(this).InvokeTensor();

    // ---- reductions ------------------------------------------------------------------------------------------
    public Tensor Sum(DType? dtype = null) => C(sum_).Tensor(this).DType(dtype).InvokeTensor();
    public Tensor Sum(long[] dims, bool keepDim = false) => C(sum_dim).Tensor(this).Ints(dims).Bool(keepDim).None().InvokeTensor();
    public Tensor Sum(long dim, bool keepDim = false) => Sum(new[] { dim }, keepDim);
    public Tensor Mean() => C(mean_).Tensor(this).None().InvokeTensor();
    public Tensor Mean(long[] dims, bool keepDim = false) => C(mean_dim).Tensor(this).Ints(dims).Bool(keepDim).None().InvokeTensor();
    public Tensor Mean(long dim, bool keepDim = false) => Mean(new[] { dim }, keepDim);
    public Tensor Max() => C(max_).Tensor(this).InvokeTensor();
    public Tensor Min() => C(min_).Tensor(this).InvokeTensor();
    public (Tensor values, Tensor indices) Max(long dim, bool keepDim = false)
        => Pair(C(max_dim).Tensor(this).Int(dim).Bool(keepDim).InvokeTensors());
    public (Tensor values, Tensor indices) Min(long dim, bool keepDim = false)
        => Pair(C(min_dim).Tensor(this).Int(dim).Bool(keepDim).InvokeTensors());
    public Tensor ArgMax(long? dim = null, bool keepDim = false) => C(argmax_).Tensor(this).OptInt(dim).Bool(keepDim).InvokeTensor();
    public Tensor ArgMin(long? dim = null, bool keepDim = false) => C(argmin_).Tensor(this).OptInt(dim).Bool(keepDim).InvokeTensor();
    public Tensor Std(long[]? dims = null, bool unbiased = true, bool keepDim = false) =>
        C(std_).Tensor(this).OptInts(dims).Int(unbiased ? 1 : 0).Bool(keepDim).InvokeTensor();
    public Tensor Var(long[]? dims = null, bool unbiased = true, bool keepDim = false) =>
        C(var_).Tensor(this).OptInts(dims).Int(unbiased ? 1 : 0).Bool(keepDim).InvokeTensor();
    public Tensor Prod() => C(prod_).Tensor(this).None().InvokeTensor();
    public Tensor Norm(double p = 2) => C(norm_all).Tensor(this).Double(p).InvokeTensor();
    public Tensor Norm(long[] dims, double p = 2, bool keepDim = false)
        => C(norm_).Tensor(this).Double(p).Ints(dims).Bool(keepDim).InvokeTensor();
    public Tensor LogSumExp(long[] dims, bool keepDim = false) => C(logsumexp_).Tensor(this).Ints(dims).Bool(keepDim).InvokeTensor();
    public Tensor Softmax(long dim) => C(softmax_).Tensor(this).Int(dim).None().InvokeTensor();
    public Tensor LogSoftmax(long dim) => C(log_softmax_).Tensor(this).Int(dim).None().InvokeTensor();
    public Tensor CumSum(long dim) => C(cumsum_).Tensor(this).Int(dim).None().InvokeTensor();
    public (Tensor values, Tensor indices) TopK(long k, long dim = -1, bool largest = true, bool sorted = true) =>
        Pair(C(topk_).Tensor(this).Int(k).Int(dim).Bool(largest).Bool(sorted).InvokeTensors());
    public (Tensor values, Tensor indices) Sort(long dim = -1, bool descending = false) =>
        Pair(C(sort_).Tensor(this).Int(dim).Bool(descending).InvokeTensors());

    private static (Tensor, Tensor) Pair(Tensor?[] r) => (r[0]!, r[1]!);

    // ---- shape -----------------------------------------------------------------------------------------------
    public Tensor View(params long[] shape) => C(view_).Tensor(this).Ints(shape).InvokeTensor();
    public Tensor Reshape(params long[] shape) => C(reshape_).Tensor(this).Ints(shape).InvokeTensor();
    public Tensor Flatten(long startDim = 0, long endDim = -1) => C(flatten_).Tensor(this).Int(startDim).Int(endDim).InvokeTensor();
    public Tensor Squeeze() => C(squeeze_).Tensor(this).InvokeTensor();
    public Tensor Squeeze(long dim) => C(squeeze_dim).Tensor(this).Int(dim).InvokeTensor();
    public Tensor Unsqueeze(long dim) => C(unsqueeze_).Tensor(this).Int(dim).InvokeTensor();
    public Tensor Permute(params long[] dims) => C(permute_).Tensor(this).Ints(dims).InvokeTensor();
    public Tensor Transpose(long dim0, long dim1) => C(transpose_).Tensor(this).Int(dim0).Int(dim1).InvokeTensor();
    public Tensor T() => C(t_).Tensor(this).InvokeTensor();
    public Tensor Contiguous(MemoryFormat format = MemoryFormat.Contiguous) => C(contiguous_).Tensor(this).Int((int)format).InvokeTensor();
    public Tensor Expand(params long[] shape) => C(expand_).Tensor(this).Ints(shape).Bool(false).InvokeTensor();
    public Tensor Repeat(params long[] repeats) => C(repeat_).Tensor(this).Ints(repeats).InvokeTensor();
    public Tensor Narrow(long dim, long start, long length) => C(narrow_).Tensor(this).Int(dim).Int(start).Int(length).InvokeTensor();
    public Tensor Select(long dim, long index) => C(select_).Tensor(this).Int(dim).Int(index).InvokeTensor();
    /// <summary>Python's t[..., start:end:step] along one dimension (end null = to the end).</summary>
    public Tensor Slice(long dim, long? start, long? end, long step = 1) =>
        C(slice_).Tensor(this).Int(dim).OptInt(start).OptInt(end).Int(step).InvokeTensor();
    /// <summary>Advanced indexing t[i0, i1, ...] with index tensors; null keeps a dimension whole.</summary>
    public Tensor Index(params Tensor?[] indices) => C(index_).Tensor(this).OptTensors(indices).InvokeTensor();
    public Tensor IndexSelect(long dim, Tensor index) => C(index_select_).Tensor(this).Int(dim).Tensor(index).InvokeTensor();
    public Tensor Gather(long dim, Tensor index) => C(gather_).Tensor(this).Int(dim).Tensor(index).Bool(false).InvokeTensor();
    public Tensor Scatter(long dim, Tensor index, Tensor src) => C(scatter_).Tensor(this).Int(dim).Tensor(index).Tensor(src).InvokeTensor();
    public Tensor MaskedFill(Tensor mask, double value) => C(masked_fill_S).Tensor(this).Tensor(mask).Double(value).InvokeTensor();
    public Tensor Flip(params long[] dims) => C(flip_).Tensor(this).Ints(dims).InvokeTensor();
    public Tensor Roll(long[] shifts, long[] dims) => C(roll_).Tensor(this).Ints(shifts).Ints(dims).InvokeTensor();
    /// <summary>Constant padding, last dimension first: (left, right, top, bottom, ...).</summary>
    public Tensor Pad(long[] pad, double value = 0) => C(constant_pad).Tensor(this).Ints(pad).Double(value).InvokeTensor();
    public Tensor Clone() => C(clone_).Tensor(this).None().InvokeTensor();
    public Tensor Detach() => C(detach_op).Tensor(this).InvokeTensor();
    public Tensor Nonzero() => C(nonzero_).Tensor(this).InvokeTensor();
    public Tensor Diag() => C(diag_).Tensor(this).Int(0).InvokeTensor();
    public Tensor[] Unbind(long dim = 0) => C(unbind_).Tensor(this).Int(dim).InvokeTensors()!;
    public Tensor[] Split(long size, long dim = 0) => C(split_).Tensor(this).Int(size).Int(dim).InvokeTensors()!;
    public Tensor[] Chunk(long chunks, long dim = 0) => C(chunk_).Tensor(this).Int(chunks).Int(dim).InvokeTensors()!;
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, long dim = 0) => C(cat_).Tensors(tensors.ToArray()).Int(dim).InvokeTensor();
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, long dim = 0) => C(stack_).Tensors(tensors.ToArray()).Int(dim).InvokeTensor();

    // ---- conversion ------------------------------------------------------------------------------------------
    public Tensor Cast(DType dtype) => C(to_dtype).Tensor(this).Int((int)dtype).Bool(false).Bool(false).None().InvokeTensor();
    public Tensor To(Device device, DType? dtype = null) =>
        C(to_device).Tensor(this).Device(device).Int((int)(dtype ?? DType)).Bool(false).Bool(false).None().InvokeTensor();
    public Tensor TypeAs(Tensor other) => C(type_as_).Tensor(this).Tensor(other).InvokeTensor();

    // ---- linear algebra --------------------------------------------------------------------------------------
    public Tensor MatMul(Tensor other) => C(matmul_).Tensor(this).Tensor(other).InvokeTensor();
    public Tensor Mm(Tensor other) => C(mm_).Tensor(this).Tensor(other).InvokeTensor();
    public Tensor Bmm(Tensor other) => C(bmm_).Tensor(this).Tensor(other).InvokeTensor();
    public Tensor Outer(Tensor other) => C(outer_).Tensor(this).Tensor(other).InvokeTensor();
    public static Tensor Einsum(string equation, params Tensor[] operands)
        => C(einsum_).String(equation).Tensors(operands).None().InvokeTensor();

    // ---- random ----------------------------------------------------------------------------------------------
    public Tensor Bernoulli(double p) => C(bernoulli_p).Tensor(this).Double(p).None().InvokeTensor();

    // ---- in place (return this; used by optimizers, initialisers and state loading under no-grad) -------------
    public Tensor Add_(Tensor other, double alpha = 1) { C(add_i).Tensor(this).Tensor(other).Double(alpha).InvokeInPlace(); return this; }
    public Tensor Add_(double other) { C(add_iS).Tensor(this).Double(other).Double(1).InvokeInPlace(); return this; }
    /// <summary>Integer increment that keeps integer dtypes (a double scalar would not cast back in place).</summary>
    public Tensor Add_(long other) { C(add_iS).Tensor(this).Int(other).Int(1).InvokeInPlace(); return this; }
    public Tensor Sub_(Tensor other, double alpha = 1) { C(sub_i).Tensor(this).Tensor(other).Double(alpha).InvokeInPlace(); return this; }
    public Tensor Mul_(Tensor other) { C(mul_i).Tensor(this).Tensor(other).InvokeInPlace(); return this; }
    public Tensor Mul_(double other) { C(mul_iS).Tensor(this).Double(other).InvokeInPlace(); return this; }
    public Tensor Div_(Tensor other) { C(div_i).Tensor(this).Tensor(other).InvokeInPlace(); return this; }
    public Tensor Div_(double other) { C(div_iS).Tensor(this).Double(other).InvokeInPlace(); return this; }
    public Tensor Zero_() { C(zero_i).Tensor(this).InvokeInPlace(); return this; }
    public Tensor Fill_(double value) { C(fill_i).Tensor(this).Double(value).InvokeInPlace(); return this; }
    public Tensor Copy_(Tensor src) { C(copy_i).Tensor(this).Tensor(src).Bool(false).InvokeInPlace(); return this; }
    /// <summary>this += value * t1 * t2</summary>
    public Tensor AddCMul_(Tensor t1, Tensor t2, double value = 1)
    {
        C(addcmul_i).Tensor(this).Tensor(t1).Tensor(t2).Double(value).InvokeInPlace();
        return this;
    }
    /// <summary>this += value * t1 / t2</summary>
    public Tensor AddCDiv_(Tensor t1, Tensor t2, double value = 1)
    {
        C(addcdiv_i).Tensor(this).Tensor(t1).Tensor(t2).Double(value).InvokeInPlace();
        return this;
    }
    public Tensor Lerp_(Tensor end, double weight) { C(lerp_i).Tensor(this).Tensor(end).Double(weight).InvokeInPlace(); return this; }
    public Tensor Sqrt_() { C(sqrt_i).Tensor(this).InvokeInPlace(); return this; }
    public Tensor Clamp_(double? min = null, double? max = null)
    {
        C(clamp_i).Tensor(this).OptDouble(min).OptDouble(max).InvokeInPlace();
        return this;
    }
    public Tensor Uniform_(double from = 0, double to = 1)
    {
        C(uniform_i).Tensor(this).Double(from).Double(to).None().InvokeInPlace();
        return this;
    }
    public Tensor Normal_(double mean = 0, double std = 1)
    {
        C(normal_i).Tensor(this).Double(mean).Double(std).None().InvokeInPlace();
        return this;
    }
    public Tensor MaskedFill_(Tensor mask, double value)
    {
        C(masked_fill_i).Tensor(this).Tensor(mask).Double(value).InvokeInPlace();
        return this;
    }
    /// <summary>this[indices] = values (accumulate adds instead).</summary>
    public Tensor IndexPut_(Tensor?[] indices, Tensor values, bool accumulate = false)
    { C(index_put_).Tensor(this).OptTensors(indices).Tensor(values).Bool(accumulate).InvokeInPlace(); return this; }
}
