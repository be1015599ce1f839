// A read-only memory map of a whole file. Tensor views point into it (zero copy), so the
// operating system pages weights in on demand and a model larger than RAM can still be read.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>

namespace qforge::io {

// How model files are brought into memory (the global --no-mmap flag). kMap: a memory map, loaded
// instantly and paged in on demand. kCopy: read once into anonymous memory that asks for 2 MiB
// transparent huge pages; loading then costs a pass over the file, but decode, which streams
// every weight once per token, takes ~1/512 of the TLB misses of 4 KiB pages (on a synthetic
// llama-1b Q8_0, decode runs ~1.4x faster on 2 threads).
enum class WeightLoading { kMap, kCopy };
void SetWeightLoading(WeightLoading mode);
WeightLoading GetWeightLoading();

class MappedFile {
 public:
  // Throws Error{kIo} naming the path when the file cannot be opened or mapped.
  static std::shared_ptr<const MappedFile> Open(const std::string& path);
  // A model's tensors: mapped or copied as SetWeightLoading says.
  static std::shared_ptr<const MappedFile> OpenWeights(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::string& path() const { return path_; }
  std::span<const std::byte> bytes() const { return {data_, size_}; }
  size_t size() const { return size_; }
  bool copied() const { return copied_; }

 private:
  MappedFile(std::string path, const std::byte* data, size_t size, bool copied = false)
      : path_(std::move(path)), data_(data), size_(size), copied_(copied) {}
  std::string path_;
  const std::byte* data_;
  size_t size_;
  bool copied_;  // read into huge pages (OpenWeights with kCopy) rather than mapped
};

// Reads a whole (small) file into a string: configs, tokenizer files. Refuses files over max_bytes.
std::string ReadTextFile(const std::string& path, size_t max_bytes = size_t(1) << 30);

}  // namespace qforge::io
