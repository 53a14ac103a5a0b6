// State dicts in PyTorch's zip+pickle format, readable by torch.load and written by torch.save.
#include "common.h"
#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <unordered_map>

struct ist_dict_s {
  std::vector<std::string> keys;
  std::vector<at::Tensor> values;
};

// Reading state dicts.
//
// torch::jit::pickle_load cannot read what torch.save(model.state_dict()) writes: libtorch 1.13's unpickler
// turns every collections.OrderedDict into None (it only expects one as a tensor's empty backward-hook table),
// so the state dict itself, an OrderedDict, fails with "Expected GenericDict but got None", and the BUILD
// that restores its _metadata attribute has no meaning to it either. This is a small unpickler for exactly
// the values a state-dict file holds (dicts, ordered dicts, tuples, lists, scalars, strings and tensors over
// stored storages). It reads both torch.save's files and the ones ist_save_tensors writes (pickle_save), and
// accepts nothing else: an unknown global is an error, never code to run.
namespace ist {
namespace {

struct PyValue;
using PyRef = std::shared_ptr<PyValue>;

struct PyValue {
  enum Kind { None, Bool, Int, Float, Str, Tuple, List, Dict, Global, Tensor } kind = None;
  int64_t i = 0;
  double f = 0;
  std::string s;  // Str: the text; Global: "module.name"
  std::vector<PyRef> items;  // Tuple, List; Dict: key, value, key, value... in insertion order
  std::unordered_map<std::string, size_t> str_keys;  // Dict: where each string key's value is in items
  at::Tensor tensor;
};

PyRef make(PyValue::Kind kind) {
  auto v = std::make_shared<PyValue>();
  v->kind = kind;
  return v;
}

at::ScalarType storage_dtype(const std::string& global) {
  static const std::map<std::string, at::ScalarType> types = {
      {"torch.FloatStorage", at::kFloat},   {"torch.DoubleStorage", at::kDouble}, {"torch.HalfStorage", at::kHalf},
      {"torch.BFloat16Storage", at::kBFloat16}, {"torch.LongStorage", at::kLong}, {"torch.IntStorage", at::kInt},
      {"torch.ShortStorage", at::kShort},   {"torch.CharStorage", at::kChar},     {"torch.ByteStorage", at::kByte},
      {"torch.BoolStorage", at::kBool}};
  auto it = types.find(global);
  if (it == types.end()) throw std::runtime_error("unsupported storage type '" + global + "'");
  return it->second;
}

std::vector<int64_t> int_tuple(const PyValue& v, const char* what) {
  if (v.kind != PyValue::Tuple && v.kind != PyValue::List) throw std::runtime_error(std::string(what) + " is not a tuple");
  std::vector<int64_t> r;
  for (const auto& e : v.items) {
    if (e->kind != PyValue::Int) throw std::runtime_error(std::string(what) + " holds a non-integer");
    r.push_back(e->i);
  }
  return r;
}

class StateDictUnpickler {
 public:
  StateDictUnpickler(const char* data, size_t size, caffe2::serialize::PyTorchStreamReader& zip)
      : p_(data), end_(data + size), zip_(zip) {}

  PyRef run() {
    for (;;) {
      uint8_t op = byte();
      switch (op) {
        case 0x80: byte(); break;                          // PROTO
        case 0x95: take(8); break;                         // FRAME (framing only)
        case '.':                                          // STOP
          if (stack_.size() != 1) throw std::runtime_error("malformed pickle: stack not balanced at STOP");
          return stack_.back();
        case '(': marks_.push_back(stack_.size()); break;  // MARK
        case '0': pop(); break;                            // POP
        case '2': push(top()); break;                      // DUP
        case 'N': push(make(PyValue::None)); break;
        case 0x88: case 0x89: {                            // NEWTRUE, NEWFALSE
          auto v = make(PyValue::Bool);
          v->i = op == 0x88;
          push(v);
        } break;
        case 'K': push_int(byte()); break;                 // BININT1
        case 'M': push_int(le<uint16_t>()); break;         // BININT2
        case 'J': push_int(le<int32_t>()); break;          // BININT
        case 0x8a: {                                       // LONG1: little-endian two's complement
          size_t n = byte();
          if (n > 8) throw std::runtime_error("integer too large in pickle");
          const char* b = take(n);
          uint64_t u = 0;
          for (size_t k = 0; k < n; ++k) u |= uint64_t(uint8_t(b[k])) << (8 * k);
          if (n > 0 && n < 8 && (uint8_t(b[n - 1]) & 0x80)) u |= ~uint64_t(0) << (8 * n);
          push_int(static_cast<int64_t>(u));
        } break;
        case 'G': {                                        // BINFLOAT, big-endian
          const char* b = take(8);
          uint64_t u = 0;
          for (int k = 0; k < 8; ++k) u = (u << 8) | uint8_t(b[k]);
          auto v = make(PyValue::Float);
          std::memcpy(&v->f, &u, 8);
          push(v);
        } break;
        case 'X': case 'B': push_str(le<uint32_t>()); break;      // BINUNICODE, BINBYTES
        case 0x8c: case 'C': push_str(byte()); break;             // SHORT_BINUNICODE, SHORT_BINBYTES
        case ')': push(make(PyValue::Tuple)); break;
        case 't': push(sequence(PyValue::Tuple, pop_mark())); break;
        case 0x85: case 0x86: case 0x87: {                 // TUPLE1..3
          size_t n = op - 0x84;
          if (stack_.size() < n) throw std::runtime_error("malformed pickle: stack underflow");
          std::vector<PyRef> items(stack_.end() - n, stack_.end());
          stack_.resize(stack_.size() - n);
          push(sequence(PyValue::Tuple, std::move(items)));
        } break;
        case ']': push(make(PyValue::List)); break;
        case 'l': push(sequence(PyValue::List, pop_mark())); break;
        case 'a': {                                        // APPEND
          auto v = pop();
          list_at_top().items.push_back(v);
        } break;
        case 'e': {                                        // APPENDS
          auto items = pop_mark();
          auto& list = list_at_top();
          list.items.insert(list.items.end(), items.begin(), items.end());
        } break;
        case '}': push(make(PyValue::Dict)); break;
        case 'd': {
          auto d = make(PyValue::Dict);
          set_items(*d, pop_mark());
          push(d);
        } break;
        case 's': {                                        // SETITEM
          auto value = pop();
          auto key = pop();
          set_items(dict_at_top(), {key, value});
        } break;
        case 'u': {                                        // SETITEMS
          auto items = pop_mark();
          set_items(dict_at_top(), items);
        } break;
        case 'c': {                                        // GLOBAL "module\nname\n"
          std::string module = line(), name = line();
          push_global(module + "." + name);
        } break;
        case 0x93: {                                       // STACK_GLOBAL
          auto name = pop(), module = pop();
          if (name->kind != PyValue::Str || module->kind != PyValue::Str) throw std::runtime_error("malformed STACK_GLOBAL");
          push_global(module->s + "." + name->s);
        } break;
        case 'R': {                                        // REDUCE
          auto args = pop();
          auto fn = pop();
          push(call(*fn, *args));
        } break;
        case 0x81: {                                       // NEWOBJ: cls.__new__(cls, *args)
          auto args = pop();
          auto cls = pop();
          push(call(*cls, *args));
        } break;
        case 'b': {                                        // BUILD
          auto state = pop();
          // An OrderedDict's instance attributes (a state dict's _metadata: per-module versions for
          // PyTorch's own backward compatibility) carry no tensors; nothing else should be built here.
          if (top()->kind != PyValue::Dict) throw std::runtime_error("unsupported object state in pickle");
        } break;
        case 'Q': {                                        // BINPERSID
          auto pid = pop();
          push(persistent(*pid));
        } break;
        case 'q': memo_[byte()] = top(); break;            // BINPUT
        case 'r': memo_[le<uint32_t>()] = top(); break;    // LONG_BINPUT
        case 0x94: memo_[memo_.size()] = top(); break;     // MEMOIZE
        case 'h': push(memo(byte())); break;               // BINGET
        case 'j': push(memo(le<uint32_t>())); break;       // LONG_BINGET
        default: {
          char buf[64];
          std::snprintf(buf, sizeof buf, "unsupported pickle opcode 0x%02x", unsigned(op));
          throw std::runtime_error(buf);
        }
      }
    }
  }

 private:
  const char* p_;
  const char* end_;
  caffe2::serialize::PyTorchStreamReader& zip_;
  std::vector<PyRef> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint32_t, PyRef> memo_;
  std::unordered_map<std::string, at::Storage> storages_;  // views of one storage share it, as in PyTorch

  const char* take(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) throw std::runtime_error("truncated pickle");
    const char* r = p_;
    p_ += n;
    return r;
  }
  uint8_t byte() { return uint8_t(*take(1)); }
  template <typename T>
  T le() {
    T v;
    std::memcpy(&v, take(sizeof(T)), sizeof(T));  // pickle integers are little-endian, as is every target here
    return v;
  }
  std::string line() {
    const char* nl = static_cast<const char*>(std::memchr(p_, '\n', end_ - p_));
    if (nl == nullptr) throw std::runtime_error("truncated pickle");
    std::string r(p_, nl);
    p_ = nl + 1;
    return r;
  }

  void push(PyRef v) { stack_.push_back(std::move(v)); }
  PyRef& top() {
    if (stack_.empty()) throw std::runtime_error("malformed pickle: stack underflow");
    return stack_.back();
  }
  PyRef pop() {
    auto v = top();
    stack_.pop_back();
    return v;
  }
  std::vector<PyRef> pop_mark() {
    if (marks_.empty() || marks_.back() > stack_.size()) throw std::runtime_error("malformed pickle: no mark");
    size_t m = marks_.back();
    marks_.pop_back();
    std::vector<PyRef> items(stack_.begin() + m, stack_.end());
    stack_.resize(m);
    return items;
  }
  PyRef memo(uint32_t id) {
    auto it = memo_.find(id);
    if (it == memo_.end()) throw std::runtime_error("malformed pickle: unknown memo entry");
    return it->second;
  }
  void push_int(int64_t i) {
    auto v = make(PyValue::Int);
    v->i = i;
    push(v);
  }
  void push_str(size_t n) {
    auto v = make(PyValue::Str);
    v->s.assign(take(n), n);
    push(v);
  }
  void push_global(std::string name) {
    auto v = make(PyValue::Global);
    v->s = std::move(name);
    push(v);
  }
  static PyRef sequence(PyValue::Kind kind, std::vector<PyRef> items) {
    auto v = make(kind);
    v->items = std::move(items);
    return v;
  }
  PyValue& list_at_top() {
    if (top()->kind != PyValue::List) throw std::runtime_error("malformed pickle: append to a non-list");
    return *top();
  }
  PyValue& dict_at_top() {
    if (top()->kind != PyValue::Dict) throw std::runtime_error("malformed pickle: item assignment to a non-dict");
    return *top();
  }
  static void set_items(PyValue& dict, const std::vector<PyRef>& kv) {
    if (kv.size() % 2 != 0) throw std::runtime_error("malformed pickle: odd number of dict items");
    for (size_t k = 0; k < kv.size(); k += 2) {
      // Python semantics: assigning an existing key replaces its value in place, keeping the key's position.
      if (kv[k]->kind == PyValue::Str) {
        auto [it, fresh] = dict.str_keys.emplace(kv[k]->s, dict.items.size() + 1);
        if (!fresh) {
          dict.items[it->second] = kv[k + 1];
          continue;
        }
      }
      dict.items.push_back(kv[k]);
      dict.items.push_back(kv[k + 1]);
    }
  }

  // ('storage', torch.<T>Storage, key, location, numel): the bytes are the archive's record data/<key>.
  PyRef persistent(const PyValue& pid) {
    if (pid.kind != PyValue::Tuple || pid.items.size() < 5 || pid.items[0]->kind != PyValue::Str ||
        pid.items[0]->s != "storage" || pid.items[1]->kind != PyValue::Global || pid.items[2]->kind != PyValue::Str ||
        pid.items[4]->kind != PyValue::Int)
      throw std::runtime_error("unsupported persistent id in pickle (only tensor storages are)");
    auto dtype = storage_dtype(pid.items[1]->s);
    const std::string& key = pid.items[2]->s;
    auto it = storages_.find(key);
    if (it == storages_.end()) {
      int64_t numel = pid.items[4]->i;
      size_t nbytes = static_cast<size_t>(numel) * c10::elementSize(dtype);
      at::DataPtr data;
      if (numel > 0) {
        size_t size = 0;
        std::tie(data, size) = zip_.getRecord("data/" + key);
        if (size < nbytes) throw std::runtime_error("storage record data/" + key + " is shorter than its tensor");
      }
      // Tensors are always loaded to the CPU: the caller copies them into parameters wherever those live.
      at::Storage storage(c10::Storage::use_byte_size_t(), nbytes, std::move(data), nullptr, false);
      it = storages_.emplace(key, std::move(storage)).first;
    }
    auto v = make(PyValue::Tensor);
    v->tensor = at::empty({0}, at::TensorOptions().dtype(dtype)).set_(it->second);
    return v;
  }

  PyRef call(const PyValue& fn, const PyValue& args) {
    if (fn.kind != PyValue::Global) throw std::runtime_error("malformed pickle: call of a non-global");
    if (args.kind != PyValue::Tuple) throw std::runtime_error("malformed pickle: call arguments are not a tuple");
    const auto& a = args.items;
    const std::string& name = fn.s;
    if (name == "collections.OrderedDict") {
      auto d = make(PyValue::Dict);
      // Protocol 2 writes OrderedDict() and then its items; an initial list of pairs is accepted too.
      if (!a.empty() && a[0]->kind == PyValue::List)
        for (const auto& pair : a[0]->items)
          if (pair->items.size() == 2) set_items(*d, pair->items);
      return d;
    }
    if (name == "torch._utils._rebuild_tensor_v2") {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      if (a.size() < 4 || a[0]->kind != PyValue::Tensor || a[1]->kind != PyValue::Int)
        throw std::runtime_error("malformed _rebuild_tensor_v2 arguments");
      auto size = int_tuple(*a[2], "tensor size"), stride = int_tuple(*a[3], "tensor stride");
      auto v = make(PyValue::Tensor);
      const at::Tensor& s = a[0]->tensor;
      v->tensor = at::empty({0}, s.options()).set_(s.storage(), a[1]->i, size, stride);
      return v;
    }
    if (name == "torch._utils._rebuild_parameter") {  // (data, requires_grad, backward_hooks): the data is what counts
      if (a.empty() || a[0]->kind != PyValue::Tensor) throw std::runtime_error("malformed _rebuild_parameter arguments");
      return a[0];
    }
    if (name == "torch.jit._pickle.restore_type_tag") {  // (value, type string) from pickle_save: the value
      if (a.empty()) throw std::runtime_error("malformed restore_type_tag arguments");
      return a[0];
    }
    throw std::runtime_error("unsupported global '" + name + "' in pickle (a state dict holds only tensors)");
  }
};

}  // namespace

void read_state_dict(const char* path, std::vector<std::string>& keys, std::vector<at::Tensor>& values) {
  {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error(std::string("cannot open '") + path + "'");
    char magic[2] = {0, 0};
    f.read(magic, 2);
    if (magic[0] != 'P' || magic[1] != 'K')
      throw std::runtime_error("not a zip archive; files from torch.save(..., _use_new_zipfile_serialization=False) are not supported");
  }
  caffe2::serialize::PyTorchStreamReader zip{std::string(path)};
  at::DataPtr pkl;
  size_t size = 0;
  std::tie(pkl, size) = zip.getRecord("data.pkl");
  StateDictUnpickler unpickler(static_cast<const char*>(pkl.get()), size, zip);
  PyRef root = unpickler.run();
  if (root->kind != PyValue::Dict) throw std::runtime_error(std::string("'") + path + "' does not hold a dict of tensors");
  for (size_t k = 0; k < root->items.size(); k += 2) {
    const auto& key = root->items[k];
    const auto& value = root->items[k + 1];
    if (key->kind != PyValue::Str) throw std::runtime_error("state dict key is not a string");
    if (value->kind != PyValue::Tensor) throw std::runtime_error("state dict entry '" + key->s + "' is not a tensor");
    keys.push_back(key->s);
    values.push_back(value->tensor);
  }
}

}  // namespace ist

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
    auto d = std::make_unique<ist_dict_s>();
    ist::read_state_dict(path, d->keys, d->values);
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
