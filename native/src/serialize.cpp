// State dicts in PyTorch's zip+pickle format, readable by torch.load and written by torch.save.
#include "common.h"
#include <torch/csrc/jit/serialization/pickle.h>
#include <fstream>
#include <iterator>

struct ist_dict_s {
  std::vector<std::string> keys;
  std::vector<at::Tensor> values;
};

extern "C" {

IST_API int ist_save_tensors(const char* path, const char** names, ist_tensor* tensors, int n) {
  return ist::guard([&] {
    c10::Dict<std::string, at::Tensor> dict;
    for (int i = 0; i < n; ++i) dict.insert(names[i], ist::T(tensors[i]).detach().to(at::kCPU));
    std::vector<char> bytes = torch::jit::pickle_save(c10::IValue(dict));
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f) throw std::runtime_error(std::string("cannot open '") + path + "' for writing");
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    f.close();
    if (!f) throw std::runtime_error(std::string("failed writing '") + path + "'");
  });
}

IST_API int ist_load_tensors(const char* path, ist_dict* out) {
  return ist::guard([&] {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error(std::string("cannot open '") + path + "'");
    std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    c10::IValue v = torch::jit::pickle_load(bytes);
    if (!v.isGenericDict()) throw std::runtime_error(std::string("'") + path + "' does not hold a dict of tensors");
    auto d = std::make_unique<ist_dict_s>();
    for (const auto& e : v.toGenericDict()) {
      if (!e.key().isString()) throw std::runtime_error("state dict key is not a string");
      if (!e.value().isTensor())
        throw std::runtime_error("state dict entry '" + e.key().toStringRef() + "' is not a tensor");
      d->keys.push_back(e.key().toStringRef());
      d->values.push_back(e.value().toTensor());
    }
    *out = d.release();
  });
}

IST_API int ist_dict_size(ist_dict d, int* n) {
  return ist::guard([&] { *n = static_cast<int>(d->keys.size()); });
}

IST_API int ist_dict_key(ist_dict d, int i, char* buf, int len) {
  return ist::guard([&] { ist::copy_string(d->keys.at(i), buf, len); });
}

IST_API int ist_dict_value(ist_dict d, int i, ist_tensor* out) {
  return ist::guard([&] { *out = ist::wrap(d->values.at(i)); });
}

IST_API void ist_dict_free(ist_dict d) { delete d; }

}  // extern "C"
