// MappedFile: mmap with clear errors.
#include "qforge/io/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "qforge/core/error.h"

namespace qforge::io {

std::shared_ptr<const MappedFile> MappedFile::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) Fail(ErrorKind::kIo, "{}: cannot open: {}", path, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    Fail(ErrorKind::kIo, "{}: not a regular file", path);
  }
  const size_t size = size_t(st.st_size);
  const std::byte* data = nullptr;
  if (size > 0) {
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      Fail(ErrorKind::kIo, "{}: cannot map {} bytes: {}", path, size, std::strerror(err));
    }
    data = static_cast<const std::byte*>(p);
  }
  ::close(fd);
  return std::shared_ptr<const MappedFile>(new MappedFile(path, data, size));
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<std::byte*>(data_), size_);
}

std::string ReadTextFile(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail(ErrorKind::kIo, "{}: cannot open: {}", path, std::strerror(errno));
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) Fail(ErrorKind::kIo, "{}: cannot read", path);
  if (size_t(size) > max_bytes)
    Fail(ErrorKind::kInvalidInput, "{}: {} bytes is larger than the {} allowed", path, size,
         max_bytes);
  in.seekg(0);
  std::string text(size_t(size), '\0');
  in.read(text.data(), size);
  if (!in) Fail(ErrorKind::kIo, "{}: read failed", path);
  return text;
}

}  // namespace qforge::io
