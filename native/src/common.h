// Internal: handle layouts and the exception barrier shared by all translation units.
#pragma once
#include <ATen/ATen.h>
#include <exception>
#include <string>
#include "insitu_native.h"

struct ist_tensor_s {
  at::Tensor t;
};

namespace ist {

void set_error(const std::string& msg);

inline ist_tensor wrap(at::Tensor t) { return new ist_tensor_s{std::move(t)}; }

inline at::Tensor& T(ist_tensor h) {
  if (h == nullptr) throw std::invalid_argument("null tensor handle");
  return h->t;
}

// Runs f and converts any C++ exception into a status + thread-local message.
template <typename F>
int guard(F&& f) {
  try {
    f();
    return 0;
  } catch (const c10::Error& e) {
    set_error(e.what_without_backtrace());
  } catch (const std::exception& e) {
    set_error(e.what());
  } catch (...) {
    set_error("unknown native error");
  }
  return -1;
}

void copy_string(const std::string& s, char* buf, int len);

}  // namespace ist
