#include "common.h"
#include <cstring>

namespace ist {
static thread_local std::string last_error;

void set_error(const std::string& msg) { last_error = msg; }

void copy_string(const std::string& s, char* buf, int len) {
  if (buf == nullptr || len <= 0) return;
  size_t n = std::min(static_cast<size_t>(len - 1), s.size());
  std::memcpy(buf, s.data(), n);
  buf[n] = '\0';
}
}  // namespace ist

extern "C" IST_API const char* ist_last_error(void) { return ist::last_error.c_str(); }
