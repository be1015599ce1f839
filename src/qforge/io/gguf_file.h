// A parsed and validated GGUF file (versions 2 and 3): metadata key/values and tensor infos.
//
// Layout (little-endian): "GGUF", u32 version, u64 tensor count, u64 KV count, the KVs
// (string key, u32 value type, value), the tensor infos (string name, u32 n_dims, u64 ne[n_dims]
// innermost first, u32 ggml type, u64 offset relative to the data section), padding to
// general.alignment, then the data section. Everything in the header is untrusted: counts are
// checked against the bytes left before anything is reserved, so a lying header cannot drive an
// allocation larger than the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "qforge/core/qtype.h"

namespace qforge::io {

// GGUF metadata value types; the numbers are the on-disk ids (gguf.h's enum gguf_type).
enum class GgufType : uint32_t {
  kU8 = 0,
  kI8 = 1,
  kU16 = 2,
  kI16 = 3,
  kU32 = 4,
  kI32 = 5,
  kF32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kU64 = 10,
  kI64 = 11,
  kF64 = 12,
};
std::string_view GgufTypeName(GgufType type);  // "u32", "string", ...

class GgufValue;

// A homogeneous array; elements may themselves be arrays (of any one element type).
struct GgufArray {
  GgufType type = GgufType::kU8;
  std::vector<GgufValue> items;
};

// One metadata value. The variant's alternatives are in GgufType order, so index() is the type id.
class GgufValue {
 public:
  using Variant = std::variant<uint8_t, int8_t, uint16_t, int16_t, uint32_t, int32_t, float, bool,
                               std::string, GgufArray, uint64_t, int64_t, double>;

  GgufValue() = default;
  template <typename T>
  requires std::is_constructible_v<Variant, T> GgufValue(T value)
      : v_(std::move(value)) {}  // NOLINT: implicit on purpose, Add("k", uint32_t{3})
  GgufValue(const char* s) : v_(std::string(s)) {}

  GgufType type() const { return GgufType(v_.index()); }
  const Variant& variant() const { return v_; }

  // Typed reads. Integers convert between widths and signedness when the value fits (lossless);
  // f32 widens to f64. Anything else throws Error{kInvalidInput} starting with `where`
  // (e.g. "model.gguf: key 'llama.block_count'").
  uint64_t ToU64(std::string_view where) const;
  int64_t ToI64(std::string_view where) const;
  uint32_t ToU32(std::string_view where) const;
  int32_t ToI32(std::string_view where) const;
  float ToF32(std::string_view where) const;
  double ToF64(std::string_view where) const;
  bool ToBool(std::string_view where) const;
  const std::string& ToString(std::string_view where) const;
  const GgufArray& ToArray(std::string_view where) const;

  // For display: numbers and strings as they are, arrays summarized as "[512 x string]".
  std::string Printable() const;

 private:
  Variant v_;
};

// A tensor as described by the header. Shape is in qforge order (outermost first), i.e. GGUF's
// ne[] reversed: a [out, in] weight is stored with ne = {in, out}.
struct GgufTensorInfo {
  std::string name;
  QType type = QType::kF32;
  std::vector<int64_t> shape;
  uint64_t offset = 0;  // from the start of the file (data section start + relative offset)
  uint64_t nbytes = 0;
};

inline constexpr uint32_t kGgufDefaultAlignment = 32;
inline constexpr int kGgufMaxDims = 4;        // GGML_MAX_DIMS
inline constexpr int kGgufMaxArrayDepth = 8;  // nested arrays deeper than this are rejected

class GgufFile {
 public:
  // Parses and validates `bytes` (the whole file); `path` only names the file in errors.
  // Checks: magic, version 2 or 3, counts against the bytes left, value types, nesting depth,
  // alignment (nonzero power of two), tensor dims (1..4, each > 0, no overflow), row length a
  // multiple of the block size, unique names, every tensor's bytes aligned and inside the file.
  // Unknown ggml type ids are Error{kUnsupported}; everything else is Error{kInvalidInput}.
  static GgufFile Parse(std::span<const std::byte> bytes, const std::string& path);

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint32_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }
  const std::vector<std::pair<std::string, GgufValue>>& kvs() const { return kvs_; }
  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }

  const GgufValue* Find(std::string_view key) const;
  bool Has(std::string_view key) const { return Find(key) != nullptr; }
  // Throws Error{kInvalidInput} naming the file and key when the key is missing.
  const GgufValue& Get(std::string_view key) const;
  // "path: key 'name'", the prefix of typed-read errors.
  std::string Where(std::string_view key) const;

  // Typed getters: missing key or wrong type is Error{kInvalidInput} naming the file and key.
  uint32_t GetU32(std::string_view key) const { return Get(key).ToU32(Where(key)); }
  uint64_t GetU64(std::string_view key) const { return Get(key).ToU64(Where(key)); }
  int32_t GetI32(std::string_view key) const { return Get(key).ToI32(Where(key)); }
  int64_t GetI64(std::string_view key) const { return Get(key).ToI64(Where(key)); }
  float GetF32(std::string_view key) const { return Get(key).ToF32(Where(key)); }
  double GetF64(std::string_view key) const { return Get(key).ToF64(Where(key)); }
  bool GetBool(std::string_view key) const { return Get(key).ToBool(Where(key)); }
  const std::string& GetString(std::string_view key) const { return Get(key).ToString(Where(key)); }
  const GgufArray& GetArray(std::string_view key) const { return Get(key).ToArray(Where(key)); }
  // Arrays converted element by element with the same rules as the scalar getters.
  std::vector<std::string> GetStringArray(std::string_view key) const;
  std::vector<float> GetF32Array(std::string_view key) const;
  std::vector<int32_t> GetI32Array(std::string_view key) const;

 private:
  std::string path_;
  uint32_t version_ = 0;
  uint32_t alignment_ = kGgufDefaultAlignment;
  uint64_t data_offset_ = 0;
  std::vector<std::pair<std::string, GgufValue>> kvs_;
  std::map<std::string, size_t, std::less<>> index_;  // key -> position in kvs_
  std::vector<GgufTensorInfo> tensors_;
};

}  // namespace qforge::io
