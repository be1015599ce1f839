// A bounds-checked little-endian cursor over a byte span, for binary headers.
//
// Every read checks the remaining length first and throws Error{kInvalidInput} naming the file,
// the offset and what was being read, so a truncated or lying header never reads out of bounds
// and never drives an allocation larger than the file itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "qforge/core/error.h"

namespace qforge::io {

class ByteReader {
 public:
  ByteReader(std::span<const std::byte> bytes, std::string file)
      : bytes_(bytes), file_(std::move(file)) {}

  size_t offset() const { return offset_; }
  size_t remaining() const { return bytes_.size() - offset_; }
  const std::string& file() const { return file_; }

  template <typename T>
  T Read(std::string_view what) {
    static_assert(std::is_trivially_copyable_v<T>);
    Require(sizeof(T), what);
    T value;
    std::memcpy(&value, bytes_.data() + offset_, sizeof(T));
    offset_ += sizeof(T);
    return value;
  }

  // A length-prefixed (u64) string, as in GGUF.
  std::string ReadString(std::string_view what) {
    const uint64_t len = Read<uint64_t>(what);
    Require(len, what);
    std::string s(reinterpret_cast<const char*>(bytes_.data() + offset_), size_t(len));
    offset_ += size_t(len);
    return s;
  }

  std::span<const std::byte> ReadBytes(uint64_t n, std::string_view what) {
    Require(n, what);
    auto s = bytes_.subspan(offset_, size_t(n));
    offset_ += size_t(n);
    return s;
  }

  void Skip(uint64_t n, std::string_view what) { ReadBytes(n, what); }

  // Throws unless n more bytes are available. Use before reserving n-driven containers.
  void Require(uint64_t n, std::string_view what) const {
    if (n > remaining())
      Fail(ErrorKind::kInvalidInput,
           "{}: truncated or corrupt: {} needs {} bytes at offset {}, only {} left", file_, what, n,
           offset_, remaining());
  }

 private:
  std::span<const std::byte> bytes_;
  std::string file_;
  size_t offset_ = 0;
};

}  // namespace qforge::io
