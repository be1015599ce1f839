// A read-only memory map of a whole file. Tensor views point into it (zero copy), so the
// operating system pages weights in on demand and a model larger than RAM can still be read.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>

namespace qforge::io {

class MappedFile {
 public:
  // Throws Error{kIo} naming the path when the file cannot be opened or mapped.
  static std::shared_ptr<const MappedFile> Open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::string& path() const { return path_; }
  std::span<const std::byte> bytes() const { return {data_, size_}; }
  size_t size() const { return size_; }

 private:
  MappedFile(std::string path, const std::byte* data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  std::string path_;
  const std::byte* data_;
  size_t size_;
};

// Reads a whole (small) file into a string: configs, tokenizer files. Refuses files over max_bytes.
std::string ReadTextFile(const std::string& path, size_t max_bytes = size_t(1) << 30);

}  // namespace qforge::io
