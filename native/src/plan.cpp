// Fused inference plans over oneDNN: a feed-forward list of layers (convolution with bias, ReLU and residual sum
// fused as post-ops; pooling; inner product), compiled per batch size into primitives whose activations stay in
// oneDNN's preferred blocked layouts from layer to layer. Weights are reordered once per compilation. Built only
// when CMake finds oneDNN; otherwise every entry point says the plan is unavailable.
#include "common.h"

#if defined(INSITU_HAVE_DNNL)
#include <ATen/Parallel.h>
#include <oneapi/dnnl/dnnl.hpp>
#include <oneapi/dnnl/dnnl_debug.h>
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>

namespace {

using dnnl::memory;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

enum class Kind { Input, Conv, Pool, Linear };

struct Layer {
  Kind kind = Kind::Input;
  int src = -1;
  int residual = -1;
  at::Tensor weight, bias;  // fp32, contiguous, owned copies
  int64_t stride[2] = {1, 1}, pad[2] = {0, 0}, kernel[2] = {1, 1};
  bool relu = false;
  int pool_kind = 0;
  std::vector<int64_t> dims;  // output shape without the batch: C,H,W or F
};

struct Range {
  float min = INFINITY, max = -INFINITY;
};

// A pooled activation buffer, or fixed memory (weights, biases, the caller's input and output).
struct ArgRef {
  memory::desc md;
  int buffer = -1;
  memory fixed;
};

struct Step {
  dnnl::primitive prim;
  std::vector<std::pair<int, ArgRef>> args;
  memory::desc scratchpad;
  std::unordered_map<int, memory> bound;
  int observe = -1;  // value whose range this step's DST produces (calibration runs)
};

struct ValueMem {
  memory::desc md;
  int buffer = -1;  // -1 for the caller's input
  float scale = 1.f;  // int8: quantized = real * scale
};

struct Compiled {
  int64_t n = 0;
  int precision = 0;
  std::vector<Step> steps;
  std::vector<at::Tensor> storage;
  memory user_in, user_out;
  memory::dims out_dims;
  size_t scratch_bytes = 0;
  at::Tensor scratch;
  std::vector<ValueMem> values;
  std::string description;
};

dnnl::engine& cpu_engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

// A layout as oneDNN's tags spell it: dimensions by falling stride, then the inner blocks (abcd16b = nChw16c).
std::string fmt(const memory::desc& md) {
  const auto& d = md.data;
  std::string s = dnnl_dt2str(d.data_type);
  s += " ";
  if (d.format_kind != dnnl_blocked) return s + (d.format_kind == dnnl_format_kind_wino ? "winograd" : "opaque");
  const auto& b = d.format_desc.blocking;
  std::vector<int> order(d.ndims);
  for (int i = 0; i < d.ndims; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return b.strides[x] > b.strides[y]; });
  for (int i : order) s += static_cast<char>('a' + i);
  for (int i = 0; i < b.inner_nblks; ++i) s += std::to_string(b.inner_blks[i]) + static_cast<char>('a' + b.inner_idxs[i]);
  return s;
}

bool is_int8(dt t) { return t == dt::u8 || t == dt::s8; }

// Best fit among free buffers; a buffer grows to the largest request it serves (storage is made at the end).
struct BufferPool {
  std::vector<size_t> size;
  std::vector<bool> busy;
  int take(size_t bytes) {
    int best = -1;
    for (int i = 0; i < static_cast<int>(size.size()); ++i) {
      if (busy[i]) continue;
      if (best < 0) { best = i; continue; }
      bool fits = size[i] >= bytes, best_fits = size[best] >= bytes;
      if ((fits && (!best_fits || size[i] < size[best])) || (!fits && !best_fits && size[i] > size[best])) best = i;
    }
    if (best < 0) {
      size.push_back(0);
      busy.push_back(false);
      best = static_cast<int>(size.size()) - 1;
    }
    size[best] = std::max(size[best], bytes);
    busy[best] = true;
    return best;
  }
  void give(int id) {
    if (id >= 0) busy[id] = false;
  }
};

}  // namespace

struct ist_plan_s {
  int precision;  // 0 f32, 1 bf16, 2 int8
  int algorithm;  // 0 direct, 1 winograd, 2 auto
  std::vector<Layer> layers;
  int output = -1;
  std::vector<Range> ranges;
  int calibration_batches = 0;
  std::map<std::pair<int64_t, int>, std::unique_ptr<Compiled>> compiled;
  std::vector<std::pair<int64_t, int>> recent;  // least recently used first
  std::string last_description;
  std::mutex mutex;
};

namespace {

constexpr size_t kMaxCompiled = 3;

int checked_value(const ist_plan_s& p, int v) {
  if (v < 0 || v >= static_cast<int>(p.layers.size()))
    throw std::invalid_argument("value " + std::to_string(v) + " does not exist (the plan has " +
                                std::to_string(p.layers.size()) + " values)");
  return v;
}

int add_layer(ist_plan_s& p, Layer l) {
  p.layers.push_back(std::move(l));
  p.ranges.emplace_back();
  p.compiled.clear();
  p.recent.clear();
  return static_cast<int>(p.layers.size()) - 1;
}

memory::dims with_batch(int64_t n, const std::vector<int64_t>& dims) {
  memory::dims d{n};
  d.insert(d.end(), dims.begin(), dims.end());
  return d;
}

tag plain_tag(size_t ndims) { return ndims == 4 ? tag::nchw : tag::nc; }

float quant_scale(const Range& r, dt t) {
  float m = std::max(std::fabs(r.min), std::fabs(r.max));
  if (!(m > 0.f) || !std::isfinite(m)) return 1.f;
  return (t == dt::u8 ? 255.f : 127.f) / m;
}

bool is_ref(const dnnl::primitive_desc_base& pd) {
  std::string impl = pd.impl_info_str();
  return impl.rfind("ref", 0) == 0;
}

class Compiler {
 public:
  Compiler(ist_plan_s& plan, int64_t n, int precision) : p_(plan), c_(std::make_unique<Compiled>()) {
    c_->n = n;
    c_->precision = precision;
  }

  std::unique_ptr<Compiled> run() {
    const int nv = static_cast<int>(p_.layers.size());
    last_use_.assign(nv, -1);
    for (int i = 0; i < nv; ++i) {
      const auto& l = p_.layers[i];
      if (l.src >= 0) last_use_[l.src] = std::max(last_use_[l.src], i);
      if (l.residual >= 0) last_use_[l.residual] = std::max(last_use_[l.residual], i);
    }
    last_use_[p_.output] = INT32_MAX;
    c_->values.resize(nv);
    std::ostringstream desc;
    for (int i = 0; i < nv; ++i) {
      const auto& l = p_.layers[i];
      try {
        switch (l.kind) {
          case Kind::Input: input(i); break;
          case Kind::Conv: conv(i); break;
          case Kind::Pool: pool(i); break;
          case Kind::Linear: linear(i); break;
        }
      } catch (const dnnl::error& e) {
        throw std::runtime_error("oneDNN could not build layer " + std::to_string(i) + " of the plan: " + e.what());
      }
      if (!notes_.empty()) desc << i << ": " << notes_ << "\n";
      notes_.clear();
      for (int v = 0; v <= i; ++v)
        if (last_use_[v] == i && !moved_.count(v)) pool_.give(c_->values[v].buffer);
      for (int b : temps_) pool_.give(b);
      temps_.clear();
    }
    output();
    finish();
    c_->description = desc.str();
    return std::move(c_);
  }

 private:
  ist_plan_s& p_;
  std::unique_ptr<Compiled> c_;
  std::vector<int> last_use_;
  std::set<int> moved_;  // values whose buffer a later layer took over in place
  std::vector<int> temps_;
  BufferPool pool_;
  std::string notes_;
  dnnl::primitive_attr base_attr() {
    dnnl::primitive_attr a;
    a.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    return a;
  }

  // The data type a layer of this plan computes in (int8 layers pick u8 for values never negative).
  dt act_type(int v) const {
    switch (c_->precision) {
      case 1: return dt::bf16;
      case 2: return p_.ranges[v].min >= 0.f ? dt::u8 : dt::s8;
      default: return dt::f32;
    }
  }
  float value_scale(int v, dt t) const { return is_int8(t) ? quant_scale(p_.ranges[v], t) : 1.f; }

  void add_step(dnnl::primitive prim, std::vector<std::pair<int, ArgRef>> args, const memory::desc& scratchpad,
                int observe = -1) {
    c_->scratch_bytes = std::max(c_->scratch_bytes, scratchpad.get_size());
    c_->steps.push_back(Step{std::move(prim), std::move(args), scratchpad, {}, observe});
  }

  ArgRef ref(const ValueMem& v) const {
    ArgRef r;
    r.md = v.md;
    if (v.buffer >= 0) r.buffer = v.buffer;
    else r.fixed = c_->user_in;
    return r;
  }

  // A reorder of value v into layout md (with rescaling between quantized and real types); the copy is a temporary.
  ValueMem convert(int v, const memory::desc& md, float target_scale, bool temporary) {
    const auto& src = c_->values[v];
    ValueMem out{md, pool_.take(md.get_size()), target_scale};
    if (temporary) temps_.push_back(out.buffer);
    auto attr = base_attr();
    float factor = target_scale / src.scale;
    if (factor != 1.f) attr.set_output_scales(0, {factor});
    dnnl::reorder::primitive_desc pd(cpu_engine(), src.md, cpu_engine(), md, attr);
    ArgRef dst;
    dst.md = md;
    dst.buffer = out.buffer;
    add_step(dnnl::reorder(pd), {{DNNL_ARG_FROM, ref(src)}, {DNNL_ARG_TO, dst}}, pd.scratchpad_desc());
    notes_ += "reorder " + fmt(src.md) + " -> " + fmt(md) + "; ";
    return out;
  }

  memory weights_memory(const at::Tensor& w, const memory::dims& dims, tag t, const memory::desc& want,
                        const std::vector<float>& scales) {
    memory user({dims, dt::f32, t}, cpu_engine(), w.data_ptr());
    memory out(want, cpu_engine());
    auto attr = dnnl::primitive_attr();
    if (!scales.empty()) attr.set_output_scales(1, scales);
    dnnl::reorder::primitive_desc pd(cpu_engine(), user.get_desc(), cpu_engine(), want, attr);
    dnnl::stream s(cpu_engine());
    dnnl::reorder(pd).execute(s, user, out);
    s.wait();
    return out;
  }

  memory bias_memory(const at::Tensor& b, const memory::desc& want, const std::vector<float>& scales) {
    memory out(want, cpu_engine());
    auto* dst = static_cast<float*>(out.get_data_handle());
    const float* src = b.data_ptr<float>();
    for (int64_t i = 0; i < b.numel(); ++i) dst[i] = src[i] * (scales.empty() ? 1.f : scales[i]);
    return out;
  }

  static std::vector<float> channel_scales(const at::Tensor& w) {
    auto m = w.reshape({w.size(0), -1}).abs().amax(1).contiguous();
    std::vector<float> s(m.numel());
    for (int64_t i = 0; i < m.numel(); ++i) {
      float v = m.data_ptr<float>()[i];
      s[i] = v > 0.f ? 127.f / v : 1.f;
    }
    return s;
  }

  void input(int i) {
    const auto& l = p_.layers[i];
    memory::desc md(with_batch(c_->n, l.dims), dt::f32, plain_tag(l.dims.size() + 1));
    c_->user_in = memory(md, cpu_engine(), DNNL_MEMORY_NONE);
    c_->values[i] = ValueMem{md, -1, 1.f};
  }

  // Producer v in a form a layer wanting data type t can read without conversion, if it already is one.
  bool readable(int v, dt t) const { return c_->values[v].md.data_type() == t; }

  struct ConvChoice {
    dnnl::convolution_forward::primitive_desc pd;
    dt type;
    bool src_as_is, dst_in_place;
    dnnl::algorithm alg;
    float src_scale, dst_scale;
    std::vector<float> wscales;
  };

  // One candidate: computing in type t with algorithm alg, reading the producer's buffer as it is or a reordered
  // copy, writing into the residual's buffer (the sum post-op in place) or a fresh one. False if oneDNN has none.
  bool try_conv(int i, dt t, dnnl::algorithm alg, bool as_is, bool in_place, std::vector<ConvChoice>& found) {
    const auto& l = p_.layers[i];
    const auto& src = c_->values[l.src];
    const ValueMem* res = l.residual >= 0 ? &c_->values[l.residual] : nullptr;
    dt in_t = is_int8(t) ? act_type(l.src) : t;
    if (as_is && src.md.data_type() != in_t) return false;
    memory::desc src_md = as_is ? src.md : memory::desc(src.md.dims(), in_t, tag::any);
    memory::desc dst_md(with_batch(c_->n, l.dims), t, tag::any);
    dt sum_t = dt::undef;
    float s_src = as_is ? src.scale : value_scale(l.src, in_t), s_dst = value_scale(i, t), s_res = s_dst;
    if (in_place) {
      // the residual's buffer is taken over only when nothing reads it later (this layer's input included) and
      // both types have one size
      if (!res || res->buffer < 0 || last_use_[l.residual] != i || (as_is && l.residual == l.src)) return false;
      dt rt = res->md.data_type();
      if (rt != t && !(is_int8(rt) && is_int8(t))) return false;
      dst_md = retype(res->md, t);
      if (rt != t) sum_t = rt;
      s_res = res->scale;
    }
    const int64_t oc = l.weight.size(0), ic = l.weight.size(1);
    const auto& in_dims = p_.layers[l.src].dims;
    memory::dims pad_r{(l.dims[1] - 1) * l.stride[0] + l.kernel[0] - in_dims[1] - l.pad[0],
                       (l.dims[2] - 1) * l.stride[1] + l.kernel[1] - in_dims[2] - l.pad[1]};
    dnnl::post_ops ops;
    if (res) {
      if (sum_t != dt::undef) ops.append_sum(s_dst / s_res, sum_t);
      else ops.append_sum(s_dst / s_res);
    }
    if (l.relu) ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    auto attr = base_attr();
    attr.set_post_ops(ops);
    std::vector<float> ws;
    if (is_int8(t)) {
      ws = channel_scales(l.weight);
      std::vector<float> os(oc);
      for (int64_t o = 0; o < oc; ++o) os[o] = s_dst / (s_src * ws[o]);
      attr.set_output_scales(1 << 1, os);
    }
    try {
      dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, alg, src_md,
                                        memory::desc({oc, ic, l.kernel[0], l.kernel[1]}, is_int8(t) ? dt::s8 : t, tag::any),
                                        memory::desc({oc}, dt::f32, tag::x), dst_md, {l.stride[0], l.stride[1]},
                                        {l.pad[0], l.pad[1]}, pad_r);
      found.push_back(ConvChoice{dnnl::convolution_forward::primitive_desc(d, attr, cpu_engine()), t, as_is, in_place, alg,
                                 s_src, s_dst, ws});
      return true;
    } catch (const dnnl::error&) {
      return false;
    }
  }

  void conv(int i) {
    const auto& l = p_.layers[i];
    // Winograd pads input channels to a full vector block: for a narrow input (an image's 1-3 channels) it would
    // multiply the work instead of dividing it
    bool wino_shape = l.kernel[0] == 3 && l.kernel[1] == 3 && l.stride[0] == 1 && l.stride[1] == 1 && l.weight.size(1) >= 16;
    std::vector<dnnl::algorithm> algs;
    if (wino_shape && p_.algorithm == 1) algs.push_back(dnnl::algorithm::convolution_winograd);
    if (wino_shape && p_.algorithm == 2) algs.push_back(dnnl::algorithm::convolution_auto);
    algs.push_back(dnnl::algorithm::convolution_direct);
    std::vector<dt> types{act_type(i)};
    if (types[0] != dt::f32) types.push_back(dt::f32);
    // Best first: the plan's precision, then f32; the producer's layout as it is, then oneDNN's preferred one (a
    // reorder); the residual's buffer as destination (in place), then a copy of it. The first candidate with a
    // JIT implementation wins; reference kernels only when nothing else exists.
    std::vector<ConvChoice> found;
    bool chosen = false;
    for (size_t ti = 0; ti < types.size() && !chosen; ++ti)
      for (size_t ai = 0; ai < algs.size() && !chosen; ++ai)
        for (int as_is = 1; as_is >= 0 && !chosen; --as_is)
          for (int in_place = l.residual >= 0 ? 1 : 0; in_place >= 0 && !chosen; --in_place)
            chosen = try_conv(i, types[ti], algs[ai], as_is == 1, in_place == 1, found) && !is_ref(found.back().pd);
    if (found.empty()) throw std::runtime_error("oneDNN offers no convolution for this layer");
    ConvChoice ch = chosen ? found.back() : found.front();
    auto& pd = ch.pd;
    ValueMem in = ch.src_as_is ? c_->values[l.src] : convert(l.src, pd.src_desc(), ch.src_scale, true);
    ValueMem out;
    if (l.residual >= 0 && ch.dst_in_place) {
      out = ValueMem{pd.dst_desc(), c_->values[l.residual].buffer, ch.dst_scale};
      moved_.insert(l.residual);
    } else if (l.residual >= 0) {
      out = convert(l.residual, pd.dst_desc(), ch.dst_scale, false);
    } else {
      out = ValueMem{pd.dst_desc(), pool_.take(pd.dst_desc().get_size()), ch.dst_scale};
    }
    c_->values[i] = out;
    std::vector<float> bscale;
    for (float w : ch.wscales) bscale.push_back(w * ch.src_scale);
    const int64_t oc = l.weight.size(0), ic = l.weight.size(1);
    ArgRef w, b, d;
    w.md = pd.weights_desc();
    w.fixed = weights_memory(l.weight, {oc, ic, l.kernel[0], l.kernel[1]}, tag::oihw, pd.weights_desc(), ch.wscales);
    b.md = pd.bias_desc();
    b.fixed = bias_memory(l.bias, pd.bias_desc(), bscale);
    d.md = out.md;
    d.buffer = out.buffer;
    add_step(dnnl::convolution_forward(pd), {{DNNL_ARG_SRC, ref(in)}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_BIAS, b}, {DNNL_ARG_DST, d}},
             pd.scratchpad_desc(), i);
    notes_ += std::string("conv ") + (ch.alg == dnnl::algorithm::convolution_direct ? "direct " : "winograd/auto ") +
              pd.impl_info_str() + " src " + fmt(in.md) + " dst " + fmt(out.md) + (ch.dst_in_place ? " (sum in place)" : "");
  }

  static memory::desc retype(const memory::desc& md, dt t) {
    dnnl_memory_desc_t c = md.data;
    c.data_type = memory::convert_to_c(t);
    return memory::desc(c);
  }

  void pool(int i) {
    const auto& l = p_.layers[i];
    const auto& src = c_->values[l.src];
    const auto& in_dims = p_.layers[l.src].dims;
    memory::dims pad_r{(l.dims[1] - 1) * l.stride[0] + l.kernel[0] - in_dims[1] - l.pad[0],
                       (l.dims[2] - 1) * l.stride[1] + l.kernel[1] - in_dims[2] - l.pad[1]};
    auto alg = l.pool_kind == 0   ? dnnl::algorithm::pooling_max
               : l.pool_kind == 1 ? dnnl::algorithm::pooling_avg_include_padding
                                  : dnnl::algorithm::pooling_avg_exclude_padding;
    memory::desc dst_md(with_batch(c_->n, l.dims), src.md.data_type(), tag::any);
    dnnl::pooling_forward::desc d(dnnl::prop_kind::forward_inference, alg, src.md, dst_md, {l.stride[0], l.stride[1]},
                                  {l.kernel[0], l.kernel[1]}, {l.pad[0], l.pad[1]}, pad_r);
    dnnl::pooling_forward::primitive_desc pd(d, base_attr(), cpu_engine());
    // pooling keeps the scale of its input: an average or maximum of quantized values is quantized alike
    ValueMem out{pd.dst_desc(), pool_.take(pd.dst_desc().get_size()), src.scale};
    c_->values[i] = out;
    ArgRef d_ref;
    d_ref.md = out.md;
    d_ref.buffer = out.buffer;
    add_step(dnnl::pooling_forward(pd), {{DNNL_ARG_SRC, ref(src)}, {DNNL_ARG_DST, d_ref}},
             pd.scratchpad_desc(), i);
    notes_ += std::string("pool ") + pd.impl_info_str() + " dst " + fmt(out.md);
  }

  void linear(int i) {
    const auto& l = p_.layers[i];
    const auto& src = c_->values[l.src];
    const auto& in_dims = p_.layers[l.src].dims;
    const int64_t oc = l.weight.size(0);
    memory::dims wdims{oc};
    wdims.insert(wdims.end(), in_dims.begin(), in_dims.end());
    memory::dims dst_dims{c_->n, oc};
    dt t = act_type(i);
    if (i == p_.output) t = dt::f32;
    std::vector<dt> types{src.md.data_type()};
    if (types[0] != dt::f32) types.push_back(dt::f32);
    for (dt in_t : types) {
      dt w_t = is_int8(in_t) ? dt::s8 : in_t;
      dt out_t = in_t == dt::f32 ? dt::f32 : t;
      if (in_t == dt::bf16 && out_t != dt::f32) out_t = dt::bf16;
      memory::desc src_md = in_t == src.md.data_type() ? src.md : memory::desc(src.md.dims(), in_t, tag::any);
      float s_src = in_t == src.md.data_type() ? src.scale : 1.f;
      float s_dst = value_scale(i, out_t);
      std::vector<float> ws;
      auto attr = base_attr();
      if (is_int8(in_t)) {
        ws = channel_scales(l.weight);
        std::vector<float> os(oc);
        for (int64_t o = 0; o < oc; ++o) os[o] = s_dst / (s_src * ws[o]);
        attr.set_output_scales(1 << 1, os);
      }
      try {
        dnnl::inner_product_forward::desc d(dnnl::prop_kind::forward_inference, src_md,
                                            memory::desc(wdims, w_t, tag::any), memory::desc({oc}, dt::f32, tag::x),
                                            memory::desc(dst_dims, out_t, tag::any));
        dnnl::inner_product_forward::primitive_desc pd(d, attr, cpu_engine());
        if (is_ref(pd) && in_t != dt::f32) continue;
        ValueMem in = in_t == src.md.data_type() ? src : convert(l.src, pd.src_desc(), s_src, true);
        ValueMem out{pd.dst_desc(), pool_.take(pd.dst_desc().get_size()), s_dst};
        c_->values[i] = out;
        std::vector<float> bscale;
        for (float w : ws) bscale.push_back(w * s_src);
        ArgRef w, b, dref;
        w.md = pd.weights_desc();
        w.fixed = weights_memory(l.weight, wdims, in_dims.size() == 3 ? tag::oihw : tag::oi, pd.weights_desc(), ws);
        b.md = pd.bias_desc();
        b.fixed = bias_memory(l.bias, pd.bias_desc(), bscale);
        dref.md = out.md;
        dref.buffer = out.buffer;
        add_step(dnnl::inner_product_forward(pd),
                 {{DNNL_ARG_SRC, ref(in)}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_BIAS, b}, {DNNL_ARG_DST, dref}},
                 pd.scratchpad_desc(), i);
        notes_ += std::string("linear ") + pd.impl_info_str() + " src " + fmt(in.md);
        return;
      } catch (const dnnl::error&) {
        if (in_t == dt::f32) throw;
      }
    }
    throw std::runtime_error("no inner product implementation for this layer");
  }

  void output() {
    const auto& v = c_->values[p_.output];
    const auto& l = p_.layers[p_.output];
    c_->out_dims = with_batch(c_->n, l.dims);
    memory::desc md(c_->out_dims, dt::f32, plain_tag(c_->out_dims.size()));
    c_->user_out = memory(md, cpu_engine(), DNNL_MEMORY_NONE);
    auto attr = base_attr();
    if (v.scale != 1.f) attr.set_output_scales(0, {1.f / v.scale});
    dnnl::reorder::primitive_desc pd(cpu_engine(), v.md, cpu_engine(), md, attr);
    ArgRef o;
    o.md = md;
    o.fixed = c_->user_out;
    add_step(dnnl::reorder(pd), {{DNNL_ARG_FROM, ref(v)}, {DNNL_ARG_TO, o}}, pd.scratchpad_desc());
  }

  void finish() {
    for (size_t b = 0; b < pool_.size.size(); ++b)
      c_->storage.push_back(at::empty({static_cast<int64_t>(std::max<size_t>(pool_.size[b], 64))}, at::kByte));
    c_->scratch = at::empty({static_cast<int64_t>(std::max<size_t>(c_->scratch_bytes, 64))}, at::kByte);
    for (auto& s : c_->steps) {
      for (auto& [arg, r] : s.args) {
        if (r.buffer >= 0) s.bound[arg] = memory(r.md, cpu_engine(), c_->storage[r.buffer].data_ptr());
        else s.bound[arg] = r.fixed;
      }
      // every primitive runs alone, so one scratchpad serves all
      if (s.scratchpad.get_size() > 0) s.bound[DNNL_ARG_SCRATCHPAD] = memory(s.scratchpad, cpu_engine(), c_->scratch.data_ptr());
    }
  }
};

Compiled& compiled_for(ist_plan_s& p, int64_t n, int precision) {
  auto key = std::make_pair(n, precision);
  auto it = p.compiled.find(key);
  p.recent.erase(std::remove(p.recent.begin(), p.recent.end(), key), p.recent.end());
  p.recent.push_back(key);
  if (it != p.compiled.end()) return *it->second;
  if (p.compiled.size() >= kMaxCompiled) {
    p.compiled.erase(p.recent.front());
    p.recent.erase(p.recent.begin());
  }
  auto c = Compiler(p, n, precision).run();
  p.last_description = c->description;
  return *(p.compiled[key] = std::move(c));
}

void check_input(const ist_plan_s& p, const at::Tensor& x) {
  const auto& in = p.layers[0].dims;
  bool ok = x.dim() == static_cast<int64_t>(in.size()) + 1 && x.scalar_type() == at::kFloat && x.device().is_cpu();
  for (size_t d = 0; ok && d < in.size(); ++d) ok = x.size(static_cast<int64_t>(d) + 1) == in[d];
  if (!ok || x.size(0) < 1) {
    std::ostringstream want;
    want << "[N";
    for (auto d : in) want << ", " << d;
    want << "]";
    throw std::invalid_argument("the plan takes float32 CPU input " + want.str() + ", got " + std::string(x.toString()) +
                                " " + c10::str(x.sizes()));
  }
  if (p.output < 0) throw std::invalid_argument("the plan has no output yet");
}

void observe(const ist_plan_s& p, Range& r, const float* data, size_t count) {
  (void)p;
  float lo = r.min, hi = r.max;
  for (size_t i = 0; i < count; ++i) {
    lo = std::min(lo, data[i]);
    hi = std::max(hi, data[i]);
  }
  r.min = lo;
  r.max = hi;
}

at::Tensor execute(ist_plan_s& p, Compiled& c, const at::Tensor& input, bool calibrate) {
  at::init_num_threads();  // this thread's OpenMP team size, as libtorch's own ops would use
  auto x = input.contiguous();
  auto out = at::empty(c.out_dims, at::kFloat);
  c.user_in.set_data_handle(x.data_ptr());
  c.user_out.set_data_handle(out.data_ptr());
  if (calibrate) observe(p, p.ranges[0], x.data_ptr<float>(), static_cast<size_t>(x.numel()));
  dnnl::stream s(cpu_engine());
  for (auto& step : c.steps) {
    step.prim.execute(s, step.bound);
    if (calibrate && step.observe >= 0) {
      s.wait();
      auto& m = step.bound.at(DNNL_ARG_DST);
      observe(p, p.ranges[step.observe], static_cast<const float*>(m.get_data_handle()),
              m.get_desc().get_size() / sizeof(float));
    }
  }
  s.wait();
  return out;
}

}  // namespace

static const char* isa_name(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::sse41: return "SSE4.1";
    case dnnl::cpu_isa::avx: return "AVX";
    case dnnl::cpu_isa::avx2: return "AVX2";
    case dnnl::cpu_isa::avx2_vnni: return "AVX2-VNNI";
    case dnnl::cpu_isa::avx512_core: return "AVX-512";
    case dnnl::cpu_isa::avx512_core_vnni: return "AVX-512 VNNI";
    case dnnl::cpu_isa::avx512_core_bf16: return "AVX-512 BF16";
    case dnnl::cpu_isa::avx512_core_amx: return "AMX";
    default: return "other ISA";
  }
}

#define IST_PLAN(h) (*[&]() -> ist_plan_s* { if (h == nullptr) throw std::invalid_argument("null plan handle"); return h; }())

extern "C" {

IST_API int ist_plan_available(int* available, char* info, int len) {
  return ist::guard([&] {
    auto v = dnnl::version();
    std::ostringstream s;
    s << "oneDNN " << v->major << "." << v->minor << "." << v->patch << ", " << isa_name(dnnl::get_effective_cpu_isa());
    *available = 1;
    ist::copy_string(s.str(), info, len);
  });
}

IST_API int ist_plan_create(const int64_t* shape, int ndim, int precision, int conv_algorithm, ist_plan* out) {
  return ist::guard([&] {
    if (ndim != 3) throw std::invalid_argument("a plan's input is C x H x W (without the batch)");
    if (precision < 0 || precision > 2) throw std::invalid_argument("precision must be 0 (f32), 1 (bf16) or 2 (int8)");
    if (conv_algorithm < 0 || conv_algorithm > 2)
      throw std::invalid_argument("convolution algorithm must be 0 (direct), 1 (winograd) or 2 (auto)");
    auto p = std::make_unique<ist_plan_s>();
    p->precision = precision;
    p->algorithm = conv_algorithm;
    Layer in;
    in.dims.assign(shape, shape + ndim);
    for (auto d : in.dims)
      if (d < 1) throw std::invalid_argument("input dimensions must be positive");
    add_layer(*p, std::move(in));
    *out = p.release();
  });
}

IST_API void ist_plan_free(ist_plan p) { delete p; }

IST_API int ist_plan_conv(ist_plan h, int src, ist_tensor weight, ist_tensor bias, int stride_h, int stride_w, int pad_h,
                          int pad_w, int relu, int residual, int* out) {
  return ist::guard([&] {
    auto& p = IST_PLAN(h);
    std::lock_guard<std::mutex> lock(p.mutex);
    const auto& in = p.layers[checked_value(p, src)].dims;
    if (in.size() != 3) throw std::invalid_argument("a convolution needs a C x H x W input");
    Layer l;
    l.kind = Kind::Conv;
    l.src = src;
    l.weight = ist::T(weight).detach().to(at::kFloat).contiguous().clone();
    if (l.weight.dim() != 4 || l.weight.size(1) != in[0])
      throw std::invalid_argument("convolution weight " + c10::str(l.weight.sizes()) + " does not take " +
                                  std::to_string(in[0]) + " input channels");
    const int64_t oc = l.weight.size(0);
    l.bias = bias ? ist::T(bias).detach().to(at::kFloat).contiguous().clone() : at::zeros({oc});
    if (l.bias.numel() != oc) throw std::invalid_argument("bias has " + std::to_string(l.bias.numel()) + " values, not " + std::to_string(oc));
    if (stride_h < 1 || stride_w < 1 || pad_h < 0 || pad_w < 0) throw std::invalid_argument("bad stride or padding");
    l.stride[0] = stride_h; l.stride[1] = stride_w; l.pad[0] = pad_h; l.pad[1] = pad_w;
    l.kernel[0] = l.weight.size(2); l.kernel[1] = l.weight.size(3);
    int64_t oh = (in[1] + 2 * pad_h - l.kernel[0]) / stride_h + 1, ow = (in[2] + 2 * pad_w - l.kernel[1]) / stride_w + 1;
    if (oh < 1 || ow < 1) throw std::invalid_argument("the convolution's output would be empty");
    l.dims = {oc, oh, ow};
    l.relu = relu != 0;
    if (residual >= 0) {
      if (p.layers[checked_value(p, residual)].dims != l.dims)
        throw std::invalid_argument("the residual's shape differs from the convolution's output");
      l.residual = residual;
    }
    *out = add_layer(p, std::move(l));
  });
}

IST_API int ist_plan_pool(ist_plan h, int src, int kind, int kernel_h, int kernel_w, int stride_h, int stride_w,
                          int pad_h, int pad_w, int* out) {
  return ist::guard([&] {
    auto& p = IST_PLAN(h);
    std::lock_guard<std::mutex> lock(p.mutex);
    const auto& in = p.layers[checked_value(p, src)].dims;
    if (in.size() != 3) throw std::invalid_argument("pooling needs a C x H x W input");
    if (kind < 0 || kind > 2) throw std::invalid_argument("pooling kind must be 0 (max), 1 (average) or 2 (average without padding)");
    if (kernel_h < 1 || kernel_w < 1 || stride_h < 1 || stride_w < 1 || pad_h < 0 || pad_w < 0)
      throw std::invalid_argument("bad pooling kernel, stride or padding");
    Layer l;
    l.kind = Kind::Pool;
    l.src = src;
    l.pool_kind = kind;
    l.kernel[0] = kernel_h; l.kernel[1] = kernel_w; l.stride[0] = stride_h; l.stride[1] = stride_w;
    l.pad[0] = pad_h; l.pad[1] = pad_w;
    int64_t oh = (in[1] + 2 * pad_h - kernel_h) / stride_h + 1, ow = (in[2] + 2 * pad_w - kernel_w) / stride_w + 1;
    if (oh < 1 || ow < 1) throw std::invalid_argument("the pooling's output would be empty");
    l.dims = {in[0], oh, ow};
    *out = add_layer(p, std::move(l));
  });
}

IST_API int ist_plan_linear(ist_plan h, int src, ist_tensor weight, ist_tensor bias, int* out) {
  return ist::guard([&] {
    auto& p = IST_PLAN(h);
    std::lock_guard<std::mutex> lock(p.mutex);
    const auto& in = p.layers[checked_value(p, src)].dims;
    int64_t features = 1;
    for (auto d : in) features *= d;
    Layer l;
    l.kind = Kind::Linear;
    l.src = src;
    l.weight = ist::T(weight).detach().to(at::kFloat).contiguous().clone();
    if (l.weight.dim() != 2 || l.weight.size(1) != features)
      throw std::invalid_argument("linear weight " + c10::str(l.weight.sizes()) + " does not take " + std::to_string(features) +
                                  " features");
    const int64_t oc = l.weight.size(0);
    l.bias = bias ? ist::T(bias).detach().to(at::kFloat).contiguous().clone() : at::zeros({oc});
    if (l.bias.numel() != oc) throw std::invalid_argument("bias has " + std::to_string(l.bias.numel()) + " values, not " + std::to_string(oc));
    l.dims = {oc};
    *out = add_layer(p, std::move(l));
  });
}

IST_API int ist_plan_set_output(ist_plan h, int value) {
  return ist::guard([&] {
    auto& p = IST_PLAN(h);
    std::lock_guard<std::mutex> lock(p.mutex);
    if (checked_value(p, value) == 0) throw std::invalid_argument("the plan's output must be a layer, not its input");
    p.output = value;
    p.compiled.clear();
    p.recent.clear();
  });
}

IST_API int ist_plan_calibrate(ist_plan h, ist_tensor input) {
  return ist::guard([&] {
    auto& p = IST_PLAN(h);
    std::lock_guard<std::mutex> lock(p.mutex);
    auto& x = ist::T(input);
    check_input(p, x);
    execute(p, compiled_for(p, x.size(0), 0), x, true);
    p.calibration_batches++;
    // int8 compilations depend on the ranges seen so far
    for (auto it = p.compiled.begin(); it != p.compiled.end();) {
      if (it->first.second == 2) {
        p.recent.erase(std::remove(p.recent.begin(), p.recent.end(), it->first), p.recent.end());
        it = p.compiled.erase(it);
      } else {
        ++it;
      }
    }
  });
}

IST_API int ist_plan_run(ist_plan h, ist_tensor input, ist_tensor* out) {
  return ist::guard([&] {
    auto& p = IST_PLAN(h);
    std::lock_guard<std::mutex> lock(p.mutex);
    auto& x = ist::T(input);
    check_input(p, x);
    if (p.precision == 2 && p.calibration_batches == 0)
      throw std::invalid_argument("an int8 plan needs calibration: run ist_plan_calibrate on a few batches first");
    *out = ist::wrap(execute(p, compiled_for(p, x.size(0), p.precision), x, false));
  });
}

IST_API int ist_plan_describe(ist_plan h, char* buf, int len, int* needed) {
  return ist::guard([&] {
    auto& p = IST_PLAN(h);
    std::lock_guard<std::mutex> lock(p.mutex);
    *needed = static_cast<int>(p.last_description.size()) + 1;
    ist::copy_string(p.last_description, buf, len);
  });
}

}  // extern "C"

#else  // built without oneDNN

namespace {
const char* kUnavailable = "the native engine was built without oneDNN (install libdnnl-dev and rebuild native/)";
[[noreturn]] void unavailable() { throw std::runtime_error(kUnavailable); }
}  // namespace

extern "C" {
IST_API int ist_plan_available(int* available, char* info, int len) {
  return ist::guard([&] {
    *available = 0;
    ist::copy_string(kUnavailable, info, len);
  });
}
IST_API int ist_plan_create(const int64_t*, int, int, int, ist_plan*) { return ist::guard([] { unavailable(); }); }
IST_API void ist_plan_free(ist_plan) {}
IST_API int ist_plan_conv(ist_plan, int, ist_tensor, ist_tensor, int, int, int, int, int, int, int*) {
  return ist::guard([] { unavailable(); });
}
IST_API int ist_plan_pool(ist_plan, int, int, int, int, int, int, int, int, int*) { return ist::guard([] { unavailable(); }); }
IST_API int ist_plan_linear(ist_plan, int, ist_tensor, ist_tensor, int*) { return ist::guard([] { unavailable(); }); }
IST_API int ist_plan_set_output(ist_plan, int) { return ist::guard([] { unavailable(); }); }
IST_API int ist_plan_calibrate(ist_plan, ist_tensor) { return ist::guard([] { unavailable(); }); }
IST_API int ist_plan_run(ist_plan, ist_tensor, ist_tensor*) { return ist::guard([] { unavailable(); }); }
IST_API int ist_plan_describe(ist_plan, char*, int, int*) { return ist::guard([] { unavailable(); }); }
}

#endif
