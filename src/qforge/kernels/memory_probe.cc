// The STREAM kernels on the thread pool, each thread on its own contiguous slice (first-touch
// placement by the same split, as STREAM's OpenMP version does).
#include "qforge/kernels/memory_probe.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <string>

#include "qforge/core/error.h"
#include "qforge/core/thread_pool.h"

namespace qforge::kernels {
namespace {

constexpr int64_t kMinElements = int64_t(8) << 20;
constexpr double kScalar = 3.0;  // STREAM's scalar

// "32768K" / "8M" -> bytes.
int64_t ParseCacheSize(const std::string& text) {
  size_t used = 0;
  int64_t n = 0;
  try {
    n = std::stoll(text, &used);
  } catch (const std::exception&) {
    return 0;
  }
  const char unit = used < text.size() ? text[used] : ' ';
  return unit == 'K' ? n << 10 : unit == 'M' ? n << 20 : unit == 'G' ? n << 30 : n;
}

// Seconds of the fastest of `trials` runs of fn on the pool.
template <typename Fn>
double BestSeconds(ThreadPool& pool, int64_t n, int trials, Fn fn) {
  double best = 1e30;
  for (int t = 0; t < trials; ++t) {
    const auto start = std::chrono::steady_clock::now();
    pool.ParallelFor(n, fn);
    const std::chrono::duration<double> s = std::chrono::steady_clock::now() - start;
    best = std::min(best, s.count());
  }
  return best;
}

MemoryProbeResult ProbeAt(int threads, int64_t n, int trials) {
  ThreadPool pool(threads);
  // Not std::vector: its value-initialization would touch every page on this thread.
  std::unique_ptr<double[]> a(new double[size_t(n)]), b(new double[size_t(n)]),
      c(new double[size_t(n)]);
  double *pa = a.get(), *pb = b.get(), *pc = c.get();
  pool.ParallelFor(n, [=](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) pa[i] = 1.0, pb[i] = 2.0, pc[i] = 0.0;
  });
  const double gb = double(n) * sizeof(double) / 1e9;  // GB per array
  MemoryProbeResult r;
  r.threads = threads;
  r.copy_gbps = 2 * gb / BestSeconds(pool, n, trials, [=](int64_t lo, int64_t hi) {
                  for (int64_t i = lo; i < hi; ++i) pc[i] = pa[i];
                });
  r.scale_gbps = 2 * gb / BestSeconds(pool, n, trials, [=](int64_t lo, int64_t hi) {
                   for (int64_t i = lo; i < hi; ++i) pb[i] = kScalar * pc[i];
                 });
  r.add_gbps = 3 * gb / BestSeconds(pool, n, trials, [=](int64_t lo, int64_t hi) {
                 for (int64_t i = lo; i < hi; ++i) pc[i] = pa[i] + pb[i];
               });
  r.triad_gbps = 3 * gb / BestSeconds(pool, n, trials, [=](int64_t lo, int64_t hi) {
                   for (int64_t i = lo; i < hi; ++i) pa[i] = pb[i] + kScalar * pc[i];
                 });
  return r;
}

}  // namespace

double MemoryProbeResult::best_gbps() const {
  return std::max({copy_gbps, scale_gbps, add_gbps, triad_gbps});
}

double MemoryProbeReport::best_gbps() const {
  double best = 0;
  for (const MemoryProbeResult& r : results) best = std::max(best, r.best_gbps());
  return best;
}

int64_t LastLevelCacheBytes() {
  int64_t largest = 0;
  for (int index = 0; index < 8; ++index) {
    std::ifstream f("/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index) + "/size");
    std::string text;
    if (f >> text) largest = std::max(largest, ParseCacheSize(text));
  }
  if (largest == 0)  // containers may hide sysfs; glibc asks CPUID
    for (int name : {_SC_LEVEL2_CACHE_SIZE, _SC_LEVEL3_CACHE_SIZE, _SC_LEVEL4_CACHE_SIZE})
      largest = std::max<int64_t>(largest, ::sysconf(name));
  return largest;
}

MemoryProbeReport RunMemoryProbe(const MemoryProbeOptions& options) {
  if (options.elements < 0 || options.trials < 1)
    Fail(ErrorKind::kInvalidInput, "memory probe: {} elements, {} trials (need >= 0 and >= 1)",
         options.elements, options.trials);
  for (int t : options.threads)
    if (t < 1) Fail(ErrorKind::kInvalidInput, "memory probe: thread count {} (need >= 1)", t);
  MemoryProbeReport report;
  report.llc_bytes = LastLevelCacheBytes();
  report.elements = options.elements > 0
                        ? options.elements
                        : std::max(kMinElements, 4 * report.llc_bytes / int64_t(sizeof(double)));
  for (int t : options.threads)
    report.results.push_back(ProbeAt(t, report.elements, options.trials));
  return report;
}

}  // namespace qforge::kernels
