// MappedFile: mmap with clear errors.
#include "qforge/io/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "qforge/core/error.h"

namespace qforge::io {
namespace {
std::atomic<WeightLoading> g_weight_loading{WeightLoading::kMap};

constexpr size_t kHugePage = size_t(2) << 20;

// Reads [begin, end) of fd into dst + begin; false on a read error or a short file.
bool ReadRange(int fd, std::byte* dst, size_t begin, size_t end) {
  while (begin < end) {
    const ssize_t got =
        ::pread(fd, dst + begin, std::min(end - begin, size_t(64) << 20), off_t(begin));
    if (got <= 0) {
      if (got < 0 && errno == EINTR) continue;
      return false;
    }
    begin += size_t(got);
  }
  return true;
}

// Anonymous memory with huge pages requested, filled by a few threads (one core alone copies
// from the page cache at a few GB/s), then made read-only like the map it replaces.
const std::byte* CopyIntoHugePages(int fd, size_t size, const std::string& path) {
  const size_t reserved = (size + kHugePage - 1) / kHugePage * kHugePage;
  void* p = ::mmap(nullptr, reserved, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    Fail(ErrorKind::kIo, "{}: cannot allocate {} bytes to read it into: {}", path, size,
         std::strerror(errno));
  ::madvise(p, reserved, MADV_HUGEPAGE);  // a hint: without THP the copy still works
  auto* dst = static_cast<std::byte*>(p);
  const size_t threads = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 8);
  const size_t chunk = (size / threads + kHugePage - 1) / kHugePage * kHugePage;
  std::atomic<bool> ok{true};
  std::vector<std::thread> workers;
  for (size_t t = 0; t < threads && t * chunk < size; ++t)
    workers.emplace_back([&, t] {
      if (!ReadRange(fd, dst, t * chunk, std::min(size, (t + 1) * chunk))) ok = false;
    });
  for (std::thread& w : workers) w.join();
  if (!ok) {
    ::munmap(p, reserved);
    Fail(ErrorKind::kIo, "{}: read failed (file shorter than {} bytes?)", path, size);
  }
  ::mprotect(p, reserved, PROT_READ);
  return dst;
}
}  // namespace

void SetWeightLoading(WeightLoading mode) { g_weight_loading = mode; }
WeightLoading GetWeightLoading() { return g_weight_loading; }

std::shared_ptr<const MappedFile> MappedFile::OpenWeights(const std::string& path) {
  if (GetWeightLoading() == WeightLoading::kMap) return Open(path);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) Fail(ErrorKind::kIo, "{}: cannot open: {}", path, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    Fail(ErrorKind::kIo, "{}: not a regular file", path);
  }
  const size_t size = size_t(st.st_size);
  const std::byte* data = nullptr;
  try {
    if (size > 0) data = CopyIntoHugePages(fd, size, path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return std::shared_ptr<const MappedFile>(new MappedFile(path, data, size, true));
}

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
  // A copy reserved whole huge pages; munmap of the file's size leaves the tail of the last one.
  const size_t bytes = copied_ ? (size_ + kHugePage - 1) / kHugePage * kHugePage : size_;
  if (data_ != nullptr) ::munmap(const_cast<std::byte*>(data_), bytes);
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
