#include "common.h"
#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/version.h>
#include <torch/utils.h>
#include <opencv2/core/version.hpp>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <dlfcn.h>
#include <climits>
#include <cstdlib>
#include <string>

extern "C" {

IST_API int ist_version(char* torch_version, int torch_len, char* opencv_version, int opencv_len) {
  return ist::guard([&] {
    ist::copy_string(TORCH_VERSION, torch_version, torch_len);
    ist::copy_string(CV_VERSION, opencv_version, opencv_len);
  });
}

// Which BLAS the process resolved sgemm_ to. Debian's libtorch links libblas.so.3, whose provider is chosen by
// update-alternatives: the reference BLAS (about 80x slower) unless an optimised one is installed.
IST_API int ist_blas_info(char* name, int name_len, char* path, int path_len) {
  return ist::guard([&] {
    std::string kind = "unknown", where;
    void* sgemm = dlsym(RTLD_DEFAULT, "sgemm_");
    Dl_info info{};
    if (sgemm && dladdr(sgemm, &info) && info.dli_fname) {
      char resolved[PATH_MAX];
      where = realpath(info.dli_fname, resolved) ? resolved : info.dli_fname;
    }
    // Look the vendor entry points up in sgemm_'s own library: another library loaded beside it (OpenBLAS's
    // liblapack.so.3, say) may export them while sgemm_ itself still comes from the reference BLAS.
    void* lib = info.dli_fname ? dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD) : nullptr;
    auto find = [&](const char* symbol) { return lib ? dlsym(lib, symbol) : nullptr; };
    using config_fn = char* (*)();
    using parallel_fn = int (*)();
    if (auto config = reinterpret_cast<config_fn>(find("openblas_get_config"))) {
      kind = config();
      if (kind.rfind("OpenBLAS", 0) != 0) kind = "OpenBLAS " + kind;
      if (auto parallel = reinterpret_cast<parallel_fn>(find("openblas_get_parallel"))) {
        int p = parallel();
        kind += p == 2 ? " (OpenMP)" : p == 1 ? " (pthreads)" : " (sequential)";
      }
    } else if (find("mkl_get_version_string")) {
      kind = "MKL";
    } else if (find("bli_info_get_version_str")) {
      kind = "BLIS";
    } else if (where.find("/blas/") != std::string::npos) {
      kind = "reference";
    }
    if (lib) dlclose(lib);
    ist::copy_string(kind.c_str(), name, name_len);
    ist::copy_string(where.c_str(), path, path_len);
  });
}

IST_API int ist_set_num_threads(int n) {
  return ist::guard([&] {
    if (n < 1) throw std::invalid_argument("thread count must be at least 1, got " + std::to_string(n));
    at::set_num_threads(n);
  });
}

IST_API int ist_tune_malloc(int64_t mmap_threshold, int64_t trim_threshold, int* applied) {
  return ist::guard([&] {
    *applied = 0;
#if defined(__GLIBC__)
    if (mmap_threshold < 0 || trim_threshold < 0) throw std::invalid_argument("malloc thresholds must be non-negative");
    if (mallopt(M_MMAP_THRESHOLD, static_cast<int>(std::min<int64_t>(mmap_threshold, INT32_MAX))) != 1 ||
        mallopt(M_TRIM_THRESHOLD, static_cast<int>(std::min<int64_t>(trim_threshold, INT32_MAX))) != 1)
      throw std::runtime_error("mallopt refused the thresholds");
    *applied = 1;
#endif
  });
}

IST_API int ist_get_num_threads(int* n) {
  return ist::guard([&] { *n = at::get_num_threads(); });
}

IST_API int ist_manual_seed(uint64_t seed) {
  return ist::guard([&] { torch::manual_seed(seed); });
}

IST_API int ist_set_deterministic(int enabled) {
  return ist::guard([&] {
    auto& ctx = at::globalContext();
    ctx.setDeterministicAlgorithms(enabled != 0, false);
    ctx.setBenchmarkCuDNN(enabled == 0 && ctx.benchmarkCuDNN());
    ctx.setDeterministicCuDNN(enabled != 0);
  });
}

IST_API int ist_cuda_device_count(int* n) {
  return ist::guard([&] { *n = at::detail::getCUDAHooks().getNumGPUs(); });
}

// CPU autocast as torch.autocast("cpu") enters and leaves it: the previous state is handed back so that regions nest,
// and the cache of lower-precision weight copies is cleared when the outermost region closes (every training step
// casts its weights afresh, as they change between steps). The state is thread-local, as in PyTorch.
IST_API int ist_autocast_cpu_enter(int dtype, int* prev_enabled, int* prev_dtype) {
  return ist::guard([&] {
    *prev_enabled = at::autocast::is_cpu_enabled() ? 1 : 0;
    *prev_dtype = static_cast<int>(at::autocast::get_autocast_cpu_dtype());
    at::autocast::set_cpu_enabled(true);
    at::autocast::set_autocast_cpu_dtype(static_cast<at::ScalarType>(dtype));
    at::autocast::increment_nesting();
  });
}

IST_API int ist_autocast_cpu_exit(int prev_enabled, int prev_dtype) {
  return ist::guard([&] {
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    at::autocast::set_cpu_enabled(prev_enabled != 0);
    at::autocast::set_autocast_cpu_dtype(static_cast<at::ScalarType>(prev_dtype));
  });
}

IST_API int ist_autocast_cpu_state(int* enabled, int* dtype) {
  return ist::guard([&] {
    *enabled = at::autocast::is_cpu_enabled() ? 1 : 0;
    *dtype = static_cast<int>(at::autocast::get_autocast_cpu_dtype());
  });
}

}  // extern "C"
