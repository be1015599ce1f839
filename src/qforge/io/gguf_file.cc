// GGUF header parsing and validation, and typed access to metadata values.
#include "qforge/io/gguf_file.h"

#include <fmt/format.h>

#include <unordered_set>
#include <utility>

#include "qforge/core/error.h"
#include "qforge/io/byte_reader.h"

namespace qforge::io {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian u32
constexpr int kTypeCount = 13;

// The fewest bytes one value of `type` can occupy; bounds array counts before reserving.
uint64_t MinValueBytes(GgufType type) {
  switch (type) {
    case GgufType::kU8:
    case GgufType::kI8:
    case GgufType::kBool:
      return 1;
    case GgufType::kU16:
    case GgufType::kI16:
      return 2;
    case GgufType::kU32:
    case GgufType::kI32:
    case GgufType::kF32:
      return 4;
    case GgufType::kU64:
    case GgufType::kI64:
    case GgufType::kF64:
      return 8;
    case GgufType::kString:
      return 8;  // u64 length
    case GgufType::kArray:
      return 12;  // u32 element type + u64 count
  }
  return 1;
}
// A KV is at least an empty key (8), a type (4) and a one-byte value; a tensor info at least an
// empty name (8), n_dims (4), one dim (8), type (4) and offset (8).
constexpr uint64_t kMinKvBytes = 13;
constexpr uint64_t kMinTensorInfoBytes = 32;

template <typename To>
constexpr std::string_view IntName() {
  if constexpr (std::is_same_v<To, uint32_t>)
    return "u32";
  else if constexpr (std::is_same_v<To, int32_t>)
    return "i32";
  else if constexpr (std::is_same_v<To, uint64_t>)
    return "u64";
  else
    return "i64";
}

template <typename To>
To ToInt(const GgufValue& value, std::string_view where) {
  return std::visit(
      [&](const auto& x) -> To {
        using From = std::decay_t<decltype(x)>;
        if constexpr (std::is_integral_v<From> && !std::is_same_v<From, bool>) {
          if (std::in_range<To>(x)) return To(x);
          Fail(ErrorKind::kInvalidInput, "{}: value {} does not fit in {}", where, x,
               IntName<To>());
        } else {
          Fail(ErrorKind::kInvalidInput, "{}: expected an integer ({}), found {}", where,
               IntName<To>(), GgufTypeName(value.type()));
        }
      },
      value.variant());
}

class Parser {
 public:
  Parser(std::span<const std::byte> bytes, const std::string& path)
      : r_(bytes, path), path_(path), size_(bytes.size()) {}

  void Header(uint32_t& version, uint64_t& n_tensors, uint64_t& n_kvs) {
    if (r_.Read<uint32_t>("magic") != kMagic)
      Fail(ErrorKind::kInvalidInput, "{}: not a GGUF file (bad magic)", path_);
    version = r_.Read<uint32_t>("version");
    if (version == 1)
      Fail(ErrorKind::kUnsupported,
           "{}: GGUF version 1 (2023 and older) is not supported; reconvert with a current "
           "llama.cpp",
           path_);
    if ((version & 0xffff) == 0 && version != 0)
      Fail(ErrorKind::kUnsupported, "{}: big-endian GGUF (version field {:#x}) is not supported",
           path_, version);
    if (version != 2 && version != 3)
      Fail(ErrorKind::kUnsupported, "{}: GGUF version {} is not supported (only 2 and 3)", path_,
           version);
    n_tensors = r_.Read<uint64_t>("tensor count");
    n_kvs = r_.Read<uint64_t>("metadata count");
    CheckCount(n_kvs, kMinKvBytes, "metadata count");
  }

  GgufType ReadType(std::string_view what) {
    const uint32_t t = r_.Read<uint32_t>(what);
    if (t >= uint32_t(kTypeCount))
      Fail(ErrorKind::kInvalidInput, "{}: {} has unknown value type {}", path_, what, t);
    return GgufType(t);
  }

  std::pair<std::string, GgufValue> ReadKv() {
    std::string key = r_.ReadString("metadata key");
    const std::string where = fmt::format("key '{}'", key);
    const GgufType type = ReadType(where);
    return {std::move(key), ReadValue(type, 0, where)};
  }

  GgufValue ReadValue(GgufType type, int depth, std::string_view where) {
    switch (type) {
      case GgufType::kU8:
        return r_.Read<uint8_t>(where);
      case GgufType::kI8:
        return r_.Read<int8_t>(where);
      case GgufType::kU16:
        return r_.Read<uint16_t>(where);
      case GgufType::kI16:
        return r_.Read<int16_t>(where);
      case GgufType::kU32:
        return r_.Read<uint32_t>(where);
      case GgufType::kI32:
        return r_.Read<int32_t>(where);
      case GgufType::kF32:
        return r_.Read<float>(where);
      case GgufType::kU64:
        return r_.Read<uint64_t>(where);
      case GgufType::kI64:
        return r_.Read<int64_t>(where);
      case GgufType::kF64:
        return r_.Read<double>(where);
      case GgufType::kBool: {
        // Read as a byte: loading a byte other than 0/1 into a bool is undefined behaviour.
        const uint8_t b = r_.Read<uint8_t>(where);
        if (b > 1) Fail(ErrorKind::kInvalidInput, "{}: {} has bool value {}", path_, where, b);
        return b == 1;
      }
      case GgufType::kString:
        return r_.ReadString(where);
      case GgufType::kArray:
        return ReadArray(depth + 1, where);
    }
    Fail(ErrorKind::kInternal, "{}: unreachable value type", path_);
  }

  GgufArray ReadArray(int depth, std::string_view where) {
    if (depth > kGgufMaxArrayDepth)
      Fail(ErrorKind::kInvalidInput, "{}: {} nests arrays deeper than {}", path_, where,
           kGgufMaxArrayDepth);
    GgufArray array;
    array.type = ReadType(where);
    const uint64_t count = r_.Read<uint64_t>(where);
    CheckCount(count, MinValueBytes(array.type), where);
    array.items.reserve(size_t(count));
    for (uint64_t i = 0; i < count; ++i) array.items.push_back(ReadValue(array.type, depth, where));
    return array;
  }

  GgufTensorInfo ReadTensorInfo() {
    GgufTensorInfo info;
    info.name = r_.ReadString("tensor name");
    const uint32_t n_dims = r_.Read<uint32_t>("tensor n_dims");
    if (n_dims == 0 || n_dims > uint32_t(kGgufMaxDims))
      Fail(ErrorKind::kInvalidInput, "{}: tensor '{}' has {} dimensions (1 to {} allowed)", path_,
           info.name, n_dims, kGgufMaxDims);
    int64_t elements = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      const uint64_t ne = r_.Read<uint64_t>("tensor dim");
      if (ne == 0 || ne > uint64_t(INT64_MAX) ||
          __builtin_mul_overflow(elements, int64_t(ne), &elements))
        Fail(ErrorKind::kInvalidInput,
             "{}: tensor '{}' has invalid dimension {} = {} (zero or overflowing)", path_,
             info.name, d, ne);
      info.shape.insert(info.shape.begin(), int64_t(ne));  // GGUF ne[0] is innermost: reverse
    }
    const uint32_t ggml_type = r_.Read<uint32_t>("tensor type");
    const std::optional<QType> type = QTypeFromGgml(int(ggml_type));
    if (!type || ggml_type > uint32_t(INT32_MAX))
      Fail(ErrorKind::kUnsupported,
           "{}: tensor '{}' has ggml type {}, which qforge does not support", path_, info.name,
           ggml_type);
    info.type = *type;
    info.offset = r_.Read<uint64_t>("tensor offset");
    info.nbytes = TensorBytes(info, elements);
    return info;
  }

  // Throws unless `count` items of at least `min_bytes` each fit in what is left of the file.
  void CheckCount(uint64_t count, uint64_t min_bytes, std::string_view what) {
    if (count > r_.remaining() / min_bytes)
      Fail(ErrorKind::kInvalidInput, "{}: {} {} cannot fit in the {} bytes left at offset {}",
           path_, what, count, r_.remaining(), r_.offset());
  }

  size_t offset() const { return r_.offset(); }
  size_t size() const { return size_; }

 private:
  uint64_t TensorBytes(const GgufTensorInfo& info, int64_t elements) const {
    const QTypeTraits& t = Traits(info.type);
    if (info.shape.back() % t.block_size != 0)
      Fail(ErrorKind::kInvalidInput,
           "{}: tensor '{}' has rows of {} elements, not a multiple of the {} block size {}", path_,
           info.name, info.shape.back(), t.name, t.block_size);
    uint64_t bytes = 0;
    if (__builtin_mul_overflow(uint64_t(elements / t.block_size), uint64_t(t.block_bytes), &bytes))
      Fail(ErrorKind::kInvalidInput, "{}: tensor '{}' size overflows", path_, info.name);
    return bytes;
  }

  ByteReader r_;
  const std::string& path_;
  size_t size_;
};

}  // namespace

std::string_view GgufTypeName(GgufType type) {
  switch (type) {
    case GgufType::kU8:
      return "u8";
    case GgufType::kI8:
      return "i8";
    case GgufType::kU16:
      return "u16";
    case GgufType::kI16:
      return "i16";
    case GgufType::kU32:
      return "u32";
    case GgufType::kI32:
      return "i32";
    case GgufType::kF32:
      return "f32";
    case GgufType::kBool:
      return "bool";
    case GgufType::kString:
      return "string";
    case GgufType::kArray:
      return "array";
    case GgufType::kU64:
      return "u64";
    case GgufType::kI64:
      return "i64";
    case GgufType::kF64:
      return "f64";
  }
  return "?";
}

uint64_t GgufValue::ToU64(std::string_view where) const { return ToInt<uint64_t>(*this, where); }
int64_t GgufValue::ToI64(std::string_view where) const { return ToInt<int64_t>(*this, where); }
uint32_t GgufValue::ToU32(std::string_view where) const { return ToInt<uint32_t>(*this, where); }
int32_t GgufValue::ToI32(std::string_view where) const { return ToInt<int32_t>(*this, where); }

float GgufValue::ToF32(std::string_view where) const {
  if (const float* f = std::get_if<float>(&v_)) return *f;
  Fail(ErrorKind::kInvalidInput, "{}: expected f32, found {}", where, GgufTypeName(type()));
}

double GgufValue::ToF64(std::string_view where) const {
  if (const double* d = std::get_if<double>(&v_)) return *d;
  if (const float* f = std::get_if<float>(&v_)) return *f;
  Fail(ErrorKind::kInvalidInput, "{}: expected f64, found {}", where, GgufTypeName(type()));
}

bool GgufValue::ToBool(std::string_view where) const {
  if (const bool* b = std::get_if<bool>(&v_)) return *b;
  Fail(ErrorKind::kInvalidInput, "{}: expected bool, found {}", where, GgufTypeName(type()));
}

const std::string& GgufValue::ToString(std::string_view where) const {
  if (const std::string* s = std::get_if<std::string>(&v_)) return *s;
  Fail(ErrorKind::kInvalidInput, "{}: expected string, found {}", where, GgufTypeName(type()));
}

const GgufArray& GgufValue::ToArray(std::string_view where) const {
  if (const GgufArray* a = std::get_if<GgufArray>(&v_)) return *a;
  Fail(ErrorKind::kInvalidInput, "{}: expected array, found {}", where, GgufTypeName(type()));
}

std::string GgufValue::Printable() const {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, GgufArray>)
          return fmt::format("[{} x {}]", x.items.size(), GgufTypeName(x.type));
        else if constexpr (std::is_same_v<T, std::string>)
          return x;
        else if constexpr (std::is_same_v<T, uint8_t> || std::is_same_v<T, int8_t>)
          return fmt::format("{}", int(x));
        else
          return fmt::format("{}", x);
      },
      v_);
}

GgufFile GgufFile::Parse(std::span<const std::byte> bytes, const std::string& path) {
  GgufFile f;
  f.path_ = path;
  Parser p(bytes, path);
  uint64_t n_tensors = 0, n_kvs = 0;
  p.Header(f.version_, n_tensors, n_kvs);
  f.kvs_.reserve(size_t(n_kvs));
  for (uint64_t i = 0; i < n_kvs; ++i) {
    auto kv = p.ReadKv();
    if (!f.index_.emplace(kv.first, f.kvs_.size()).second)
      Fail(ErrorKind::kInvalidInput, "{}: duplicate metadata key '{}'", path, kv.first);
    f.kvs_.push_back(std::move(kv));
  }
  if (const GgufValue* a = f.Find("general.alignment")) {
    f.alignment_ = a->ToU32(f.Where("general.alignment"));
    if (f.alignment_ == 0 || (f.alignment_ & (f.alignment_ - 1)) != 0)
      Fail(ErrorKind::kInvalidInput, "{}: general.alignment {} is not a nonzero power of two", path,
           f.alignment_);
  }
  p.CheckCount(n_tensors, kMinTensorInfoBytes, "tensor count");
  f.tensors_.reserve(size_t(n_tensors));
  std::unordered_set<std::string> names;
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensorInfo info = p.ReadTensorInfo();
    if (!names.insert(info.name).second)
      Fail(ErrorKind::kInvalidInput, "{}: duplicate tensor name '{}'", path, info.name);
    f.tensors_.push_back(std::move(info));
  }
  // The data section starts at the next multiple of the alignment after the header.
  const uint64_t align = f.alignment_;
  f.data_offset_ = (uint64_t(p.offset()) + align - 1) / align * align;
  const uint64_t size = p.size();
  for (GgufTensorInfo& t : f.tensors_) {
    if (t.offset % align != 0)
      Fail(ErrorKind::kInvalidInput,
           "{}: tensor '{}' offset {} is not a multiple of the alignment {}", path, t.name,
           t.offset, align);
    if (f.data_offset_ > size || t.offset > size - f.data_offset_ ||
        t.nbytes > size - f.data_offset_ - t.offset)
      Fail(ErrorKind::kInvalidInput,
           "{}: tensor '{}' ({} bytes at data offset {}) extends past the end of the file ({} "
           "bytes)",
           path, t.name, t.nbytes, t.offset, size);
    t.offset += f.data_offset_;
  }
  return f;
}

const GgufValue* GgufFile::Find(std::string_view key) const {
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : &kvs_[it->second].second;
}

const GgufValue& GgufFile::Get(std::string_view key) const {
  if (const GgufValue* v = Find(key)) return *v;
  Fail(ErrorKind::kInvalidInput, "{}: metadata key '{}' is missing", path_, key);
}

std::string GgufFile::Where(std::string_view key) const {
  return fmt::format("{}: key '{}'", path_, key);
}

std::vector<std::string> GgufFile::GetStringArray(std::string_view key) const {
  const GgufArray& a = GetArray(key);
  if (a.type != GgufType::kString)
    Fail(ErrorKind::kInvalidInput, "{}: expected an array of string, found an array of {}",
         Where(key), GgufTypeName(a.type));
  std::vector<std::string> out;
  out.reserve(a.items.size());
  for (const GgufValue& v : a.items) out.push_back(std::get<std::string>(v.variant()));
  return out;
}

std::vector<float> GgufFile::GetF32Array(std::string_view key) const {
  const GgufArray& a = GetArray(key);
  const std::string where = Where(key) + " element";
  std::vector<float> out;
  out.reserve(a.items.size());
  for (const GgufValue& v : a.items) out.push_back(v.ToF32(where));
  return out;
}

std::vector<int32_t> GgufFile::GetI32Array(std::string_view key) const {
  const GgufArray& a = GetArray(key);
  const std::string where = Where(key) + " element";
  std::vector<int32_t> out;
  out.reserve(a.items.size());
  for (const GgufValue& v : a.items) out.push_back(v.ToI32(where));
  return out;
}

}  // namespace qforge::io
