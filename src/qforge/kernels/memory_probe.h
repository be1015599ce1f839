// A STREAM-like memory bandwidth probe (McCalpin's STREAM: copy, scale, add, triad on arrays much
// larger than the last-level cache). Decode speed is bounded by how fast weights stream from
// memory, so `qforge bench` compares its decode GB/s with what this probe measures.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace qforge::kernels {

struct MemoryProbeOptions {
  // Elements (doubles) per array; 0 picks STREAM's rule: each array at least 4x the last-level
  // cache, and at least 8 Mi elements (64 MiB).
  int64_t elements = 0;
  int trials = 5;  // the best trial counts, as in STREAM
  std::vector<int> threads = {1};
};

struct MemoryProbeResult {
  int threads = 1;
  // GB/s (1e9 bytes) of the best trial, with STREAM's byte counts: copy and scale move 2 arrays,
  // add and triad 3 (write-allocate traffic not counted).
  double copy_gbps = 0, scale_gbps = 0, add_gbps = 0, triad_gbps = 0;
  double best_gbps() const;
};

struct MemoryProbeReport {
  int64_t elements = 0;                    // per array
  int64_t llc_bytes = 0;                   // last-level cache size found, 0 when unknown
  std::vector<MemoryProbeResult> results;  // one per thread count, in the order asked
  double best_gbps() const;                // over all thread counts and kernels
};

// Runs the probe at each thread count. Throws Error{kInvalidInput} for elements < 0, trials < 1
// or a thread count < 1.
MemoryProbeReport RunMemoryProbe(const MemoryProbeOptions& options);

// The size of the largest CPU cache in bytes (sysfs, else sysconf), or 0 when unknown.
int64_t LastLevelCacheBytes();

}  // namespace qforge::kernels
