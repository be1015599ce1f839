// Writes an output file atomically: bytes go to a temporary file in the same directory, which
// is flushed and renamed over the destination only on Commit(). An interrupted or failed write
// leaves no partial file; an existing input is never opened for writing.
#pragma once

#include <cstddef>
#include <cstdio>
#include <span>
#include <string>

namespace qforge::io {

class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();  // removes the temporary file unless committed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void Write(const void* data, size_t n);
  void Write(std::span<const std::byte> bytes) { Write(bytes.data(), bytes.size()); }
  void WritePadding(size_t n);  // n zero bytes
  uint64_t written() const { return written_; }
  void Commit();

 private:
  std::string path_;
  std::string temp_path_;
  std::FILE* file_ = nullptr;
  uint64_t written_ = 0;
  bool committed_ = false;
};

// Throws Error{kInvalidInput} when `output` names the same file as `input` (same inode).
void RefuseToOverwriteInput(const std::string& input, const std::string& output);

}  // namespace qforge::io
