/* InSitu native engine: a C ABI of opaque handles over libtorch and OpenCV.
 *
 * Rules of the surface:
 *  - every function returns 0 on success or -1 on failure; on failure the
 *    message (libtorch/OpenCV text) is available from ist_last_error() on the
 *    same thread until the next failing call. No C++ exception crosses it.
 *  - a tensor handle is owned by whoever received it and is released with
 *    ist_tensor_free; functions never take ownership of handles passed in,
 *    except where documented (the hook callback's return value).
 *  - no training policy lives here: ops are reached through the dispatcher
 *    (ist_op_find + ist_op_call) so the managed side composes everything. */
#ifndef INSITU_NATIVE_H
#define INSITU_NATIVE_H
#include <stdint.h>

#if defined(INSITU_NATIVE_BUILD)
#define IST_API __attribute__((visibility("default")))
#else
#define IST_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ist_tensor_s* ist_tensor;
typedef struct ist_op_s* ist_op;
typedef struct ist_dict_s* ist_dict;

IST_API const char* ist_last_error(void);

/* runtime */
IST_API int ist_version(char* torch_version, int torch_len, char* opencv_version, int opencv_len);
IST_API int ist_set_num_threads(int n);
/* Keeps allocations up to mmap_threshold bytes on the heap and lets up to trim_threshold bytes of free memory stay
   there (glibc only; elsewhere a no-op that reports 0 in *applied). */
IST_API int ist_tune_malloc(int64_t mmap_threshold, int64_t trim_threshold, int* applied);
IST_API int ist_get_num_threads(int* n);
IST_API int ist_manual_seed(uint64_t seed);
IST_API int ist_set_deterministic(int enabled);
IST_API int ist_cuda_device_count(int* n);
/* CPU autocast regions (torch.autocast("cpu")): enter hands back the previous state, which exit restores; the
   outermost exit clears the cache of lower-precision weight copies. Thread-local. */
IST_API int ist_autocast_cpu_enter(int dtype, int* prev_enabled, int* prev_dtype);
IST_API int ist_autocast_cpu_exit(int prev_enabled, int prev_dtype);
IST_API int ist_autocast_cpu_state(int* enabled, int* dtype);

/* tensors */
IST_API void ist_tensor_free(ist_tensor t);
IST_API int ist_tensor_from_data(const void* data, const int64_t* shape, int ndim, int dtype, ist_tensor* out);
IST_API int ist_tensor_copy_to(ist_tensor t, void* dst, int64_t nbytes);
/* shape must hold 16 entries */
IST_API int ist_tensor_info(ist_tensor t, int* dtype, int* ndim, int64_t* shape, int* device_type, int* device_index);
IST_API int ist_tensor_defined(ist_tensor t, int* defined);
IST_API int ist_tensor_clone_handle(ist_tensor t, ist_tensor* out);
IST_API int ist_tensor_requires_grad(ist_tensor t, int* value);
IST_API int ist_tensor_set_requires_grad(ist_tensor t, int value);
IST_API int ist_tensor_is_leaf(ist_tensor t, int* value);
IST_API int ist_tensor_grad(ist_tensor t, ist_tensor* out); /* *out = NULL when no grad */
IST_API int ist_tensor_set_grad(ist_tensor t, ist_tensor grad); /* grad may be NULL */
IST_API int ist_tensor_set_data(ist_tensor t, ist_tensor data);
IST_API int ist_tensor_is_contiguous(ist_tensor t, int memory_format, int* value);
IST_API int ist_tensor_data_ptr(ist_tensor t, void** ptr);

/* autograd */
IST_API int ist_backward(ist_tensor* outputs, ist_tensor* grad_outputs, int n, int retain_graph, int create_graph);
IST_API int ist_grad(ist_tensor* outputs, ist_tensor* grad_outputs, int n_outputs,
                     ist_tensor* inputs, int n_inputs, int retain_graph, int create_graph,
                     int allow_unused, ist_tensor* results);
IST_API int ist_grad_enabled(int* enabled);
IST_API int ist_set_grad_enabled(int enabled);
/* Inference mode is a scoped guard: enter returns a token, exit must be called on the same thread, LIFO. */
IST_API int ist_inference_mode_enter(void** guard);
IST_API int ist_inference_mode_exit(void* guard);
/* Hook: called with a new handle the callee owns; returns NULL (keep gradient) or a new
 * handle whose ownership passes to the engine. */
typedef ist_tensor (*ist_hook_fn)(ist_tensor grad, void* ctx);
IST_API int ist_tensor_register_hook(ist_tensor t, ist_hook_fn fn, void* ctx, int64_t* hook_id);
IST_API int ist_tensor_remove_hook(ist_tensor t, int64_t hook_id);

/* dispatcher: any aten op by schema name */
enum ist_arg_kind {
  IST_NONE = 0, IST_TENSOR = 1, IST_INT = 2, IST_DOUBLE = 3, IST_BOOL = 4,
  IST_INT_LIST = 5, IST_DOUBLE_LIST = 6, IST_TENSOR_LIST = 7, IST_OPT_TENSOR_LIST = 8,
  IST_STRING = 9, IST_DEVICE = 10, IST_BOOL_LIST = 11, IST_LIST_MARK = 12
};
typedef struct ist_arg {
  int32_t kind;
  int32_t len;   /* list length; device index for IST_DEVICE */
  int64_t i;     /* int, bool, device type */
  double d;
  const void* p; /* tensor handle, list data, string */
} ist_arg;
typedef struct ist_value {
  int32_t kind;  /* IST_TENSOR (t may be NULL for an undefined tensor), IST_INT, IST_DOUBLE, IST_BOOL, IST_NONE, IST_LIST_MARK (i = count of following tensors) */
  int32_t pad;
  int64_t i;
  double d;
  ist_tensor t;
} ist_value;
IST_API int ist_op_find(const char* name, const char* overload, ist_op* out);
IST_API int ist_op_schema(ist_op op, char* buf, int len);
IST_API int ist_op_call(ist_op op, const ist_arg* args, int nargs, ist_value* outs, int max_outs, int* nouts);

/* serialization in PyTorch's own format (torch.save of a dict of tensors) */
IST_API int ist_save_tensors(const char* path, const char** names, ist_tensor* tensors, int n);
IST_API int ist_load_tensors(const char* path, ist_dict* out);
IST_API int ist_dict_size(ist_dict d, int* n);
IST_API int ist_dict_key(ist_dict d, int i, char* buf, int len);
IST_API int ist_dict_value(ist_dict d, int i, ist_tensor* out);
IST_API void ist_dict_free(ist_dict d);

/* images (OpenCV). mode: 0 unchanged, 1 gray, 2 colour. Result: HxWxC, uint8 for
 * 8-bit files, int32 for 16-bit ones, channels in RGB(A) order. */
IST_API int ist_image_read(const char* path, int mode, ist_tensor* out);
IST_API int ist_image_decode(const uint8_t* data, int64_t len, int mode, ist_tensor* out);
/* t: HxWxC or HxW, uint8 or int32 (written as 16-bit), RGB(A) order. */
IST_API int ist_image_write(const char* path, ist_tensor t);
IST_API int ist_image_resize(ist_tensor t, int height, int width, int interpolation, ist_tensor* out);

/* Fused inference plans (oneDNN; see native/src/plan.cpp). A plan is a feed-forward list of layers over numbered
 * values: value 0 is the input (C x H x W without the batch), each layer adds one value. Activations stay in
 * oneDNN's preferred blocked layouts between layers; the plan is compiled per batch size on first use (weights
 * reordered then). Without oneDNN at build time *available is 0, info says why, and every other call fails. */
typedef struct ist_plan_s* ist_plan;
enum ist_plan_precision { IST_PLAN_F32 = 0, IST_PLAN_BF16 = 1, IST_PLAN_INT8 = 2 };
enum ist_plan_conv_algorithm { IST_CONV_DIRECT = 0, IST_CONV_WINOGRAD = 1, IST_CONV_AUTO = 2 };
enum ist_plan_pool_kind { IST_POOL_MAX = 0, IST_POOL_AVG = 1, IST_POOL_AVG_EXCLUDE_PADDING = 2 };
IST_API int ist_plan_available(int* available, char* info, int len);
IST_API int ist_plan_create(const int64_t* input_shape, int ndim, int precision, int conv_algorithm, ist_plan* out);
IST_API void ist_plan_free(ist_plan p);
/* out = relu?(conv(src, weight) + bias + residual?); weight O x I x kh x kw, bias may be NULL, residual -1 for none. */
IST_API int ist_plan_conv(ist_plan p, int src, ist_tensor weight, ist_tensor bias, int stride_h, int stride_w, int pad_h,
                          int pad_w, int relu, int residual, int* out);
IST_API int ist_plan_pool(ist_plan p, int src, int kind, int kernel_h, int kernel_w, int stride_h, int stride_w,
                          int pad_h, int pad_w, int* out);
/* weight O x F, F the source's C*H*W in NCHW order (the flatten of a feature map) */
IST_API int ist_plan_linear(ist_plan p, int src, ist_tensor weight, ist_tensor bias, int* out);
IST_API int ist_plan_set_output(ist_plan p, int value);
/* int8 plans: runs the float plan on a batch and widens each value's observed range (the quantization scales). */
IST_API int ist_plan_calibrate(ist_plan p, ist_tensor input);
/* input N x C x H x W float32 on the CPU; *out N x (output's shape), float32, plain layout. */
IST_API int ist_plan_run(ist_plan p, ist_tensor input, ist_tensor* out);
/* The implementations and layouts oneDNN chose at the latest compilation; *needed = length + 1. */
IST_API int ist_plan_describe(ist_plan p, char* buf, int len, int* needed);

#ifdef __cplusplus
}
#endif
#endif
