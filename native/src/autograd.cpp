#include "common.h"
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <c10/core/InferenceMode.h>

static std::vector<at::Tensor> collect(ist_tensor* hs, int n, bool allow_null) {
  std::vector<at::Tensor> v;
  v.reserve(n);
  for (int i = 0; i < n; ++i) {
    if (hs == nullptr || hs[i] == nullptr) {
      if (!allow_null) throw std::invalid_argument("null tensor handle in list");
      v.emplace_back();
    } else {
      v.push_back(hs[i]->t);
    }
  }
  return v;
}

extern "C" {

IST_API int ist_backward(ist_tensor* outputs, ist_tensor* grad_outputs, int n, int retain_graph, int create_graph) {
  return ist::guard([&] {
    auto outs = collect(outputs, n, false);
    auto grads = collect(grad_outputs, n, true);
    torch::autograd::backward(outs, grads, retain_graph ? c10::optional<bool>(true) : c10::optional<bool>(false),
                              create_graph != 0);
  });
}

IST_API int ist_grad(ist_tensor* outputs, ist_tensor* grad_outputs, int n_outputs, ist_tensor* inputs, int n_inputs,
                     int retain_graph, int create_graph, int allow_unused, ist_tensor* results) {
  return ist::guard([&] {
    auto outs = collect(outputs, n_outputs, false);
    auto grads = collect(grad_outputs, n_outputs, true);
    auto ins = collect(inputs, n_inputs, false);
    auto r = torch::autograd::grad(outs, ins, grads, c10::optional<bool>(retain_graph != 0), create_graph != 0,
                                   allow_unused != 0);
    for (int i = 0; i < n_inputs; ++i) results[i] = r[i].defined() ? ist::wrap(r[i]) : nullptr;
  });
}

IST_API int ist_grad_enabled(int* enabled) {
  return ist::guard([&] { *enabled = at::GradMode::is_enabled() ? 1 : 0; });
}

IST_API int ist_set_grad_enabled(int enabled) {
  return ist::guard([&] { at::GradMode::set_enabled(enabled != 0); });
}

IST_API int ist_inference_mode_enter(void** guard) {
  return ist::guard([&] { *guard = new c10::InferenceMode(true); });
}

IST_API int ist_inference_mode_exit(void* guard) {
  return ist::guard([&] { delete static_cast<c10::InferenceMode*>(guard); });
}

IST_API int ist_tensor_register_hook(ist_tensor h, ist_hook_fn fn, void* ctx, int64_t* hook_id) {
  return ist::guard([&] {
    auto id = ist::T(h).register_hook([fn, ctx](const at::Tensor& grad) -> at::Tensor {
      ist_tensor result = fn(ist::wrap(grad), ctx);
      // NULL keeps the incoming gradient (an undefined result leaves it unchanged in libtorch).
      // A failing managed callback also returns NULL and re-raises its error after backward returns.
      if (result == nullptr) return at::Tensor();
      at::Tensor r = result->t;
      delete result;
      return r;
    });
    *hook_id = static_cast<int64_t>(id);
  });
}

IST_API int ist_tensor_remove_hook(ist_tensor h, int64_t hook_id) {
  return ist::guard([&] { ist::T(h).remove_hook(static_cast<unsigned>(hook_id)); });
}

}  // extern "C"
