// Image decode/encode through OpenCV. Pixels cross as HxWxC tensors in RGB(A) order.
#include "common.h"
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

static int flags_for(int mode) {
  switch (mode) {
    case 0: return cv::IMREAD_UNCHANGED;
    case 1: return cv::IMREAD_GRAYSCALE | cv::IMREAD_ANYDEPTH;
    case 2: return cv::IMREAD_COLOR | cv::IMREAD_ANYDEPTH;
    default: throw std::invalid_argument("image mode must be 0 (unchanged), 1 (gray) or 2 (colour)");
  }
}

static at::Tensor mat_to_tensor(cv::Mat m) {
  if (m.channels() == 3) cv::cvtColor(m, m, cv::COLOR_BGR2RGB);
  else if (m.channels() == 4) cv::cvtColor(m, m, cv::COLOR_BGRA2RGBA);
  int depth = m.depth();
  at::Tensor t;
  if (depth == CV_8U) {
    t = at::empty({m.rows, m.cols, m.channels()}, at::kByte);
    cv::Mat dst(m.rows, m.cols, CV_MAKETYPE(CV_8U, m.channels()), t.data_ptr());
    m.copyTo(dst);
  } else if (depth == CV_16U || depth == CV_16S) {
    // libtorch 1.x has no uint16: widen losslessly to int32.
    t = at::empty({m.rows, m.cols, m.channels()}, at::kInt);
    cv::Mat dst(m.rows, m.cols, CV_MAKETYPE(CV_32S, m.channels()), t.data_ptr());
    m.convertTo(dst, CV_MAKETYPE(CV_32S, m.channels()));
  } else if (depth == CV_32F) {
    t = at::empty({m.rows, m.cols, m.channels()}, at::kFloat);
    cv::Mat dst(m.rows, m.cols, CV_MAKETYPE(CV_32F, m.channels()), t.data_ptr());
    m.copyTo(dst);
  } else {
    throw std::runtime_error("unsupported pixel depth " + std::to_string(depth));
  }
  return t;
}

static cv::Mat tensor_to_mat(const at::Tensor& in) {
  at::Tensor t = in.detach().to(at::kCPU);
  if (t.dim() == 2) t = t.unsqueeze(2);
  if (t.dim() != 3) throw std::invalid_argument("image tensor must be HxW or HxWxC, got " + std::to_string(t.dim()) + " dims");
  int c = static_cast<int>(t.size(2));
  if (c != 1 && c != 3 && c != 4) throw std::invalid_argument("image must have 1, 3 or 4 channels, got " + std::to_string(c));
  cv::Mat m;
  if (t.scalar_type() == at::kByte) {
    t = t.contiguous();
    m = cv::Mat(static_cast<int>(t.size(0)), static_cast<int>(t.size(1)), CV_MAKETYPE(CV_8U, c), t.data_ptr()).clone();
  } else if (t.scalar_type() == at::kInt) {
    t = t.clamp(0, 65535).contiguous();
    cv::Mat wide(static_cast<int>(t.size(0)), static_cast<int>(t.size(1)), CV_MAKETYPE(CV_32S, c), t.data_ptr());
    wide.convertTo(m, CV_MAKETYPE(CV_16U, c));
  } else {
    throw std::invalid_argument(std::string("image tensor must be uint8 or int32 (16-bit), got ") + c10::toString(t.scalar_type()));
  }
  if (c == 3) cv::cvtColor(m, m, cv::COLOR_RGB2BGR);
  else if (c == 4) cv::cvtColor(m, m, cv::COLOR_RGBA2BGRA);
  return m;
}

extern "C" {

IST_API int ist_image_read(const char* path, int mode, ist_tensor* out) {
  return ist::guard([&] {
    cv::Mat m = cv::imread(path, flags_for(mode));
    if (m.empty()) throw std::runtime_error(std::string("cannot decode image '") + path + "'");
    *out = ist::wrap(mat_to_tensor(m));
  });
}

IST_API int ist_image_decode(const uint8_t* data, int64_t len, int mode, ist_tensor* out) {
  return ist::guard([&] {
    cv::Mat buf(1, static_cast<int>(len), CV_8U, const_cast<uint8_t*>(data));
    cv::Mat m = cv::imdecode(buf, flags_for(mode));
    if (m.empty()) throw std::runtime_error("cannot decode image bytes");
    *out = ist::wrap(mat_to_tensor(m));
  });
}

IST_API int ist_image_write(const char* path, ist_tensor h) {
  return ist::guard([&] {
    cv::Mat m = tensor_to_mat(ist::T(h));
    if (!cv::imwrite(path, m)) throw std::runtime_error(std::string("cannot write image '") + path + "'");
  });
}

IST_API int ist_image_resize(ist_tensor h, int height, int width, int interpolation, ist_tensor* out) {
  return ist::guard([&] {
    at::Tensor t = ist::T(h).detach().to(at::kCPU).contiguous();
    if (t.dim() != 3) throw std::invalid_argument("resize expects HxWxC");
    int c = static_cast<int>(t.size(2));
    int cvdepth;
    switch (t.scalar_type()) {
      case at::kByte: cvdepth = CV_8U; break;
      case at::kFloat: cvdepth = CV_32F; break;
      default: throw std::invalid_argument("resize expects uint8 or float32 pixels");
    }
    cv::Mat src(static_cast<int>(t.size(0)), static_cast<int>(t.size(1)), CV_MAKETYPE(cvdepth, c), t.data_ptr());
    at::Tensor r = at::empty({height, width, c}, t.options());
    cv::Mat dst(height, width, CV_MAKETYPE(cvdepth, c), r.data_ptr());
    cv::resize(src, dst, cv::Size(width, height), 0, 0, interpolation);
    *out = ist::wrap(r);
  });
}

}  // extern "C"
