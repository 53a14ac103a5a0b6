// State dicts in PyTorch's zip+pickle format, readable by torch.load and written by torch.save.
#include "common.h"
#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
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
//
// Two containers carry that pickle. torch.save since PyTorch 1.6 writes a zip archive (data.pkl plus one record per
// storage). Before, and still with _use_new_zipfile_serialization=False, it wrote the legacy stream: four pickles
// (a magic number, the protocol version, sys_info, the object) and a fifth listing the storage keys, followed by
// each storage as an int64 element count and its raw bytes. torchvision's older weight files are of that kind
// (vgg16-397923af.pth dates from 2017), some written by Python 2: byte strings as keys, OrderedDicts reduced from
// a list of [key, value] lists, tensors rebuilt by _rebuild_tensor (the v2 form came with PyTorch 0.4).
namespace ist {
namespace {

struct PyValue;
using PyRef = std::shared_ptr<PyValue>;

struct PyValue {
  enum Kind { None, Bool, Int, BigInt, Float, Str, Tuple, List, Dict, Global, Tensor } kind = None;
  int64_t i = 0;  // Int, Bool; Tensor: the element offset of a legacy storage view into its root storage
  double f = 0;
  std::string s;  // Str: the text; Global: "module.name"; BigInt: little-endian two's complement bytes
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
  // a legacy file saved from a GPU names torch.cuda.FloatStorage: the bytes are the same
  std::string name = global.rfind("torch.cuda.", 0) == 0 ? "torch." + global.substr(11) : global;
  auto it = types.find(name);
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

// Where a storage's bytes come from: a record of the zip archive, or (legacy) the section after the pickles.
class StorageSource {
 public:
  virtual ~StorageSource() = default;
  virtual at::Storage storage(const std::string& key, at::ScalarType dtype, int64_t numel) = 0;
};

class ZipStorages : public StorageSource {
 public:
  explicit ZipStorages(caffe2::serialize::PyTorchStreamReader& zip) : zip_(zip) {}
  at::Storage storage(const std::string& key, at::ScalarType dtype, int64_t numel) override {
    size_t nbytes = static_cast<size_t>(numel) * c10::elementSize(dtype);
    at::DataPtr data;
    if (numel > 0) {
      size_t size = 0;
      std::tie(data, size) = zip_.getRecord("data/" + key);
      if (size < nbytes) throw std::runtime_error("storage record data/" + key + " is shorter than its tensor");
    }
    return at::Storage(c10::Storage::use_byte_size_t(), nbytes, std::move(data), nullptr, false);
  }

 private:
  caffe2::serialize::PyTorchStreamReader& zip_;
};

// Legacy storages are allocated when the pickle names them and filled once the pickles have been read.
class LegacyStorages : public StorageSource {
 public:
  at::Storage storage(const std::string& key, at::ScalarType dtype, int64_t numel) override {
    if (numel < 0) throw std::runtime_error("storage " + key + " has a negative size");
    auto s = at::empty({numel}, at::TensorOptions().dtype(dtype)).storage();
    pending_.emplace(key, Pending{s, numel, c10::elementSize(dtype)});
    return s;
  }

  // The storage section: for each key of the list, an int64 element count and that many elements.
  void fill(const std::vector<std::string>& keys, const char* p, const char* end) {
    for (const auto& key : keys) {
      auto it = pending_.find(key);
      if (it == pending_.end()) throw std::runtime_error("storage " + key + " is listed but no tensor uses it");
      int64_t numel = 0;
      if (end - p < 8) throw std::runtime_error("truncated file: storage " + key + " is missing");
      std::memcpy(&numel, p, 8);
      p += 8;
      if (numel != it->second.numel)
        throw std::runtime_error("storage " + key + " holds " + std::to_string(numel) + " elements, its tensors expect " +
                                 std::to_string(it->second.numel));
      size_t nbytes = static_cast<size_t>(numel) * it->second.element_size;
      if (static_cast<size_t>(end - p) < nbytes) throw std::runtime_error("truncated file: storage " + key + " is cut short");
      if (nbytes > 0) std::memcpy(it->second.storage.data_ptr().get(), p, nbytes);
      p += nbytes;
      pending_.erase(it);
    }
    if (!pending_.empty()) throw std::runtime_error("storage " + pending_.begin()->first + " has no data in the file");
  }

 private:
  struct Pending {
    at::Storage storage;
    int64_t numel;
    size_t element_size;
  };
  std::map<std::string, Pending> pending_;
};

class StateDictUnpickler {
 public:
  StateDictUnpickler(const char* data, size_t size, StorageSource& source) : p_(data), end_(data + size), source_(source) {}

  // Where the pickle ended (the legacy stream holds several one after the other).
  const char* end_of_pickle() const { return p_; }

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
        case 0x8a: case 0x8b: {                            // LONG1, LONG4: little-endian two's complement
          size_t n = op == 0x8a ? byte() : le<uint32_t>();
          const char* b = take(n);
          if (n > 8) {  // the legacy magic number; no tensor index is that large
            auto v = make(PyValue::BigInt);
            v->s.assign(b, n);
            push(v);
            break;
          }
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
        case 'T': push_str(le<uint32_t>()); break;                // BINSTRING (Python 2 str)
        case 'U': push_str(byte()); break;                        // SHORT_BINSTRING (Python 2 str)
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
  StorageSource& source_;
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

  // ('storage', torch.<T>Storage, key, location, numel), and in legacy files a sixth item, None or the view
  // (view_key, offset, view_size) of a storage slice. The bytes come from the storage source.
  PyRef persistent(const PyValue& pid) {
    if (pid.kind != PyValue::Tuple || pid.items.size() < 5 || pid.items[0]->kind != PyValue::Str ||
        pid.items[0]->s != "storage" || pid.items[1]->kind != PyValue::Global || pid.items[2]->kind != PyValue::Str ||
        pid.items[4]->kind != PyValue::Int)
      throw std::runtime_error("unsupported persistent id in pickle (only tensor storages are)");
    auto dtype = storage_dtype(pid.items[1]->s);
    const std::string& key = pid.items[2]->s;
    auto it = storages_.find(key);
    if (it == storages_.end()) it = storages_.emplace(key, source_.storage(key, dtype, pid.items[4]->i)).first;
    auto v = make(PyValue::Tensor);
    // Tensors are always loaded to the CPU: the caller copies them into parameters wherever those live.
    v->tensor = at::empty({0}, at::TensorOptions().dtype(dtype)).set_(it->second);
    if (pid.items.size() > 5 && pid.items[5]->kind != PyValue::None) {
      const auto& view = *pid.items[5];
      if (view.kind != PyValue::Tuple || view.items.size() != 3 || view.items[1]->kind != PyValue::Int)
        throw std::runtime_error("malformed storage view in pickle");
      v->i = view.items[1]->i;
    }
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
    if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
      // (storage, storage_offset, size, stride[, requires_grad, backward_hooks[, metadata]]); the first form is
      // PyTorch 0.4's, the second the one before it
      if (a.size() < 4 || a[0]->kind != PyValue::Tensor || a[1]->kind != PyValue::Int)
        throw std::runtime_error("malformed " + name.substr(13) + " arguments");
      auto size = int_tuple(*a[2], "tensor size"), stride = int_tuple(*a[3], "tensor stride");
      const at::Tensor& s = a[0]->tensor;
      int64_t offset = a[1]->i + a[0]->i;
      int64_t last = offset;  // the furthest element the view reaches must lie inside the storage
      for (size_t d = 0; d < size.size(); ++d) {
        if (size[d] < 0 || stride[d] < 0) throw std::runtime_error("negative tensor size or stride in pickle");
        if (size[d] == 0) last = -1;
        if (last >= 0) last += (size[d] - 1) * stride[d];
      }
      int64_t numel = static_cast<int64_t>(s.storage().nbytes() / c10::elementSize(s.scalar_type()));
      if (offset < 0 || last >= numel) throw std::runtime_error("tensor reaches past the end of its storage");
      auto v = make(PyValue::Tensor);
      v->tensor = at::empty({0}, s.options()).set_(s.storage(), offset, size, stride);
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

namespace {

// The file's bytes, mapped read-only (a legacy VGG16 file is half a gigabyte: no copy of it is made).
class MappedFile {
 public:
  explicit MappedFile(const char* path) {
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error(std::string("cannot open '") + path + "'");
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      ::close(fd);
      throw std::runtime_error(std::string("cannot read '") + path + "'");
    }
    size_ = static_cast<size_t>(st.st_size);
    if (size_ > 0) {
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        ::close(fd);
        throw std::runtime_error(std::string("cannot map '") + path + "'");
      }
      data_ = static_cast<const char*>(p);
    }
    ::close(fd);
  }
  ~MappedFile() {
    if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const char* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  const char* data_ = nullptr;
  size_t size_ = 0;
};

void collect(const PyRef& root, const char* path, std::vector<std::string>& keys, std::vector<at::Tensor>& values) {
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

void read_legacy(const char* path, std::vector<std::string>& keys, std::vector<at::Tensor>& values) {
  MappedFile file(path);
  const char* p = file.data();
  const char* end = p + file.size();
  LegacyStorages storages;
  auto next = [&]() {
    StateDictUnpickler u(p, static_cast<size_t>(end - p), storages);
    PyRef v = u.run();
    p = u.end_of_pickle();
    return v;
  };
  static const unsigned char magic[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};  // 0x1950a86a20f9469cfc6c
  PyRef m = next();
  if (m->kind != PyValue::BigInt || m->s != std::string(reinterpret_cast<const char*>(magic), sizeof magic))
    throw std::runtime_error("not a PyTorch file: a pickle, but without torch.save's magic number");
  PyRef version = next();
  if (version->kind != PyValue::Int || version->i != 1001)
    throw std::runtime_error("unsupported legacy PyTorch file version");
  PyRef sys_info = next();
  if (sys_info->kind == PyValue::Dict) {
    auto it = sys_info->str_keys.find("little_endian");
    if (it != sys_info->str_keys.end() && sys_info->items[it->second]->kind == PyValue::Bool && sys_info->items[it->second]->i == 0)
      throw std::runtime_error("the file was written on a big-endian machine, which is not supported");
  }
  PyRef root = next();
  PyRef listed = next();
  if (listed->kind != PyValue::List) throw std::runtime_error("malformed legacy PyTorch file: no list of storages");
  std::vector<std::string> storage_keys;
  for (const auto& k : listed->items) {
    if (k->kind != PyValue::Str) throw std::runtime_error("malformed legacy PyTorch file: a storage key is not a string");
    storage_keys.push_back(k->s);
  }
  storages.fill(storage_keys, p, end);
  collect(root, path, keys, values);
}

}  // namespace

void read_state_dict(const char* path, std::vector<std::string>& keys, std::vector<at::Tensor>& values) {
  char head[262] = {0};
  size_t got = 0;
  {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error(std::string("cannot open '") + path + "'");
    f.read(head, sizeof head);
    got = static_cast<size_t>(f.gcount());
  }
  if (got >= 2 && head[0] == 'P' && head[1] == 'K') {
    caffe2::serialize::PyTorchStreamReader zip{std::string(path)};
    at::DataPtr pkl;
    size_t size = 0;
    std::tie(pkl, size) = zip.getRecord("data.pkl");
    ZipStorages storages(zip);
    StateDictUnpickler unpickler(static_cast<const char*>(pkl.get()), size, storages);
    collect(unpickler.run(), path, keys, values);
    return;
  }
  if (got >= 2 && static_cast<unsigned char>(head[0]) == 0x80 && head[1] >= 2) {  // PROTO 2+: the legacy stream
    read_legacy(path, keys, values);
    return;
  }
  if (got == sizeof head && std::memcmp(head + 257, "ustar", 5) == 0)
    throw std::runtime_error("a tar archive: PyTorch's tar format (before 2017) is not supported; load it in PyTorch and "
                             "save it again with torch.save");
  throw std::runtime_error("neither a zip archive (torch.save) nor a legacy torch.save stream");
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
