#include "common.h"
#include <cstring>

extern "C" {

IST_API void ist_tensor_free(ist_tensor t) { delete t; }

IST_API int ist_tensor_from_data(const void* data, const int64_t* shape, int ndim, int dtype, ist_tensor* out) {
  return ist::guard([&] {
    std::vector<int64_t> sizes(shape, shape + ndim);
    auto t = at::empty(sizes, at::TensorOptions().dtype(static_cast<at::ScalarType>(dtype)));
    if (t.numel() > 0) std::memcpy(t.data_ptr(), data, t.numel() * t.element_size());
    *out = ist::wrap(std::move(t));
  });
}

IST_API int ist_tensor_copy_to(ist_tensor h, void* dst, int64_t nbytes) {
  return ist::guard([&] {
    auto t = ist::T(h).detach().to(at::kCPU).contiguous();
    int64_t need = t.numel() * static_cast<int64_t>(t.element_size());
    if (need != nbytes)
      throw std::invalid_argument("destination holds " + std::to_string(nbytes) + " bytes, tensor needs " +
                                  std::to_string(need));
    if (need > 0) std::memcpy(dst, t.data_ptr(), need);
  });
}

IST_API int ist_tensor_info(ist_tensor h, int* dtype, int* ndim, int64_t* shape, int* device_type, int* device_index) {
  return ist::guard([&] {
    auto& t = ist::T(h);
    if (!t.defined()) throw std::invalid_argument("undefined tensor");
    if (t.dim() > 16) throw std::invalid_argument("tensors of more than 16 dimensions are not supported");
    *dtype = static_cast<int>(t.scalar_type());
    *ndim = static_cast<int>(t.dim());
    for (int64_t i = 0; i < t.dim(); ++i) shape[i] = t.size(i);
    *device_type = static_cast<int>(t.device().type());
    *device_index = t.device().index();
  });
}

IST_API int ist_tensor_defined(ist_tensor h, int* defined) {
  return ist::guard([&] { *defined = ist::T(h).defined() ? 1 : 0; });
}

IST_API int ist_tensor_clone_handle(ist_tensor h, ist_tensor* out) {
  return ist::guard([&] { *out = ist::wrap(ist::T(h)); });
}

IST_API int ist_tensor_requires_grad(ist_tensor h, int* value) {
  return ist::guard([&] { *value = ist::T(h).requires_grad() ? 1 : 0; });
}

IST_API int ist_tensor_set_requires_grad(ist_tensor h, int value) {
  return ist::guard([&] { ist::T(h).set_requires_grad(value != 0); });
}

IST_API int ist_tensor_is_leaf(ist_tensor h, int* value) {
  return ist::guard([&] { *value = ist::T(h).is_leaf() ? 1 : 0; });
}

IST_API int ist_tensor_grad(ist_tensor h, ist_tensor* out) {
  return ist::guard([&] {
    const auto& g = ist::T(h).grad();
    *out = g.defined() ? ist::wrap(g) : nullptr;
  });
}

IST_API int ist_tensor_set_grad(ist_tensor h, ist_tensor grad) {
  return ist::guard([&] { ist::T(h).mutable_grad() = grad ? ist::T(grad) : at::Tensor(); });
}

IST_API int ist_tensor_set_data(ist_tensor h, ist_tensor data) {
  return ist::guard([&] { ist::T(h).set_data(ist::T(data)); });
}

IST_API int ist_tensor_is_contiguous(ist_tensor h, int memory_format, int* value) {
  return ist::guard([&] { *value = ist::T(h).is_contiguous(static_cast<at::MemoryFormat>(memory_format)) ? 1 : 0; });
}

IST_API int ist_tensor_data_ptr(ist_tensor h, void** ptr) {
  return ist::guard([&] {
    auto& t = ist::T(h);
    if (!t.device().is_cpu()) throw std::invalid_argument("data pointer requested for a tensor on " + t.device().str());
    *ptr = t.data_ptr();
  });
}

}  // extern "C"
