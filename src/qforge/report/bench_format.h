// `qforge bench` results as a text table, JSON, CSV or Markdown. Field and column names are
// llama-bench's where the two tools measure the same thing (model_filename, model_type,
// model_size, model_n_params, n_threads, n_prompt, n_gen, test_time, avg_ns, stddev_ns, avg_ts,
// stddev_ts; the columns "model | size | params | backend | threads | test | t/s"), so scripts
// written for llama-bench's output read ours; qforge's additions come after them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "qforge/kernels/memory_probe.h"
#include "qforge/model/speed_bench.h"

namespace qforge::report {

struct BenchModel {
  std::string filename;  // as given on the command line
  std::string type;      // llama-bench style: "llama 1B Q4_0"
  uint64_t size = 0;     // weight bytes (llama-bench's model_size)
  int64_t n_params = 0;
  double load_ms = 0;                   // open + parse + bind (memory-mapped: no weight is copied)
  bool use_mmap = true;                 // false: --no-mmap read the weights into huge pages
  uint64_t weight_bytes_per_token = 0;  // what one decode step reads
};

struct BenchReport {
  BenchModel model;
  std::vector<model::SpeedResult> results;
  int64_t peak_rss_bytes = 0;
  double machine_gbps = 0;  // from the memory probe; 0 = not measured
};

// Decode (tg) rows: weight bytes per token x tokens/s, in GB/s (1e9); 0 for prefill rows.
double DecodeGbps(const BenchReport& report, const model::SpeedResult& r);

enum class BenchFormat { kTable, kJson, kCsv, kMarkdown };
// "table", "json", "csv", "md"; throws Error{kInvalidInput} listing them.
BenchFormat BenchFormatFromName(std::string_view name);

std::string FormatBench(const BenchReport& report, BenchFormat format);

// The memory probe's GB/s per thread count and kernel, in the same four formats.
std::string FormatMemoryProbe(const kernels::MemoryProbeReport& probe, BenchFormat format);

// llama-bench's "model" label: architecture, size class from the parameter count, type name.
std::string BenchModelType(int64_t n_params, std::string_view type_name);

}  // namespace qforge::report
