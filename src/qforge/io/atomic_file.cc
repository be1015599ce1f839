// AtomicFile: temp file + fsync + rename.
#include "qforge/io/atomic_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "qforge/core/error.h"

namespace qforge::io {

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  temp_path_ = path_ + ".tmp-" + std::to_string(::getpid());
  file_ = std::fopen(temp_path_.c_str(), "wb");
  if (file_ == nullptr)
    Fail(ErrorKind::kIo, "{}: cannot create: {}", temp_path_, std::strerror(errno));
}

AtomicFile::~AtomicFile() {
  if (file_ != nullptr) std::fclose(file_);
  if (!committed_) std::remove(temp_path_.c_str());
}

void AtomicFile::Write(const void* data, size_t n) {
  if (n == 0) return;
  if (std::fwrite(data, 1, n, file_) != n)
    Fail(ErrorKind::kIo, "{}: write failed: {}", temp_path_, std::strerror(errno));
  written_ += n;
}

void AtomicFile::WritePadding(size_t n) {
  static const std::vector<char> zeros(4096, 0);
  while (n > 0) {
    const size_t k = std::min(n, zeros.size());
    Write(zeros.data(), k);
    n -= k;
  }
}

void AtomicFile::Commit() {
  if (std::fflush(file_) != 0 || ::fsync(::fileno(file_)) != 0)
    Fail(ErrorKind::kIo, "{}: flush failed: {}", temp_path_, std::strerror(errno));
  std::fclose(file_);
  file_ = nullptr;
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0)
    Fail(ErrorKind::kIo, "{}: cannot rename into place: {}", path_, std::strerror(errno));
  committed_ = true;
}

void RefuseToOverwriteInput(const std::string& input, const std::string& output) {
  struct stat a {
  }, b{};
  if (::stat(input.c_str(), &a) == 0 && ::stat(output.c_str(), &b) == 0 && a.st_dev == b.st_dev &&
      a.st_ino == b.st_ino)
    Fail(ErrorKind::kInvalidInput, "{}: refusing to overwrite the input file", output);
}

}  // namespace qforge::io
