// Generic access to every aten operator through the c10 dispatcher. The managed side
// builds argument lists in schema order; autograd, autocast and device dispatch all
// apply exactly as they do for calls from Python.
#include "common.h"
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>
#include <sstream>

struct ist_op_s {
  c10::OperatorHandle handle;
};

static c10::IValue to_ivalue(const ist_arg& a) {
  switch (a.kind) {
    case IST_NONE:
      return c10::IValue();
    case IST_TENSOR:
      if (a.p == nullptr) return c10::IValue();
      return c10::IValue(static_cast<const ist_tensor_s*>(a.p)->t);
    case IST_INT:
      return c10::IValue(a.i);
    case IST_DOUBLE:
      return c10::IValue(a.d);
    case IST_BOOL:
      return c10::IValue(a.i != 0);
    case IST_INT_LIST: {
      auto p = static_cast<const int64_t*>(a.p);
      return c10::IValue(c10::List<int64_t>(std::vector<int64_t>(p, p + a.len)));
    }
    case IST_DOUBLE_LIST: {
      auto p = static_cast<const double*>(a.p);
      return c10::IValue(c10::List<double>(std::vector<double>(p, p + a.len)));
    }
    case IST_BOOL_LIST: {
      auto p = static_cast<const int64_t*>(a.p);
      c10::List<bool> l;
      for (int i = 0; i < a.len; ++i) l.push_back(p[i] != 0);
      return c10::IValue(l);
    }
    case IST_TENSOR_LIST: {
      auto p = static_cast<ist_tensor const*>(a.p);
      c10::List<at::Tensor> l;
      l.reserve(a.len);
      for (int i = 0; i < a.len; ++i) l.push_back(ist::T(p[i]));
      return c10::IValue(l);
    }
    case IST_OPT_TENSOR_LIST: {
      auto p = static_cast<ist_tensor const*>(a.p);
      c10::List<c10::optional<at::Tensor>> l;
      l.reserve(a.len);
      for (int i = 0; i < a.len; ++i)
        l.push_back(p[i] ? c10::optional<at::Tensor>(p[i]->t) : c10::optional<at::Tensor>());
      return c10::IValue(l);
    }
    case IST_STRING:
      return c10::IValue(std::string(static_cast<const char*>(a.p)));
    case IST_DEVICE:
      return c10::IValue(c10::Device(static_cast<c10::DeviceType>(a.i), static_cast<c10::DeviceIndex>(a.len)));
    default:
      throw std::invalid_argument("unknown argument kind " + std::to_string(a.kind));
  }
}

static void emit(const c10::IValue& v, ist_value* outs, int max_outs, int& n) {
  auto next = [&]() -> ist_value& {
    if (n >= max_outs) throw std::length_error("operator returned more than " + std::to_string(max_outs) + " values");
    ist_value& o = outs[n++];
    o = ist_value{};
    return o;
  };
  if (v.isTensor()) {
    auto& o = next();
    o.kind = IST_TENSOR;
    const auto& t = v.toTensor();
    o.t = t.defined() ? ist::wrap(t) : nullptr;
  } else if (v.isTuple()) {
    for (const auto& e : v.toTupleRef().elements()) emit(e, outs, max_outs, n);
  } else if (v.isTensorList()) {
    auto l = v.toTensorList();
    auto& mark = next();
    mark.kind = IST_LIST_MARK;
    mark.i = static_cast<int64_t>(l.size());
    for (size_t i = 0; i < l.size(); ++i) {
      auto& o = next();
      o.kind = IST_TENSOR;
      at::Tensor t = l.get(i);
      o.t = t.defined() ? ist::wrap(t) : nullptr;
    }
  } else if (v.isInt()) {
    auto& o = next();
    o.kind = IST_INT;
    o.i = v.toInt();
  } else if (v.isDouble()) {
    auto& o = next();
    o.kind = IST_DOUBLE;
    o.d = v.toDouble();
  } else if (v.isBool()) {
    auto& o = next();
    o.kind = IST_BOOL;
    o.i = v.toBool() ? 1 : 0;
  } else if (v.isNone()) {
    next().kind = IST_NONE;
  } else {
    throw std::invalid_argument(std::string("unsupported return type ") + v.tagKind());
  }
}

extern "C" {

IST_API int ist_op_find(const char* name, const char* overload, ist_op* out) {
  return ist::guard([&] {
    auto h = c10::Dispatcher::singleton().findSchema({name, overload ? overload : ""});
    if (!h.has_value())
      throw std::invalid_argument(std::string("no operator ") + name + (overload && *overload ? std::string(".") + overload : ""));
    *out = new ist_op_s{*h};
  });
}

IST_API int ist_op_schema(ist_op op, char* buf, int len) {
  return ist::guard([&] {
    std::ostringstream s;
    s << op->handle.schema();
    ist::copy_string(s.str(), buf, len);
  });
}

IST_API int ist_op_call(ist_op op, const ist_arg* args, int nargs, ist_value* outs, int max_outs, int* nouts) {
  return ist::guard([&] {
    torch::jit::Stack stack;
    stack.reserve(nargs);
    for (int i = 0; i < nargs; ++i) stack.push_back(to_ivalue(args[i]));
    op->handle.callBoxed(stack);
    int n = 0;
    try {
      for (const auto& v : stack) emit(v, outs, max_outs, n);
    } catch (...) {
      for (int i = 0; i < n; ++i)
        if (outs[i].kind == IST_TENSOR) delete outs[i].t;
      throw;
    }
    *nouts = n;
  });
}

}  // extern "C"
