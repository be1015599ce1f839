// Speed of the forward pass as llama-bench measures it: prefill of n_prompt random tokens in one
// batch ("pp512") and decode of n_gen single-token steps from an empty cache ("tg128"), each
// repeated after one warm-up run, with mean and standard deviation; plus what decode reads.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "qforge/core/checkpoint.h"
#include "qforge/core/thread_pool.h"

namespace qforge::model {

struct SpeedBenchOptions {
  int n_prompt = 512;  // 0 skips the prefill test
  int n_gen = 128;     // 0 skips the decode test
  int repetitions = 5;
  uint32_t seed = 1234;  // of the random token ids
};

// One test at one thread count; the field names are llama-bench's.
struct SpeedResult {
  int n_threads = 0;
  int n_prompt = 0;  // the prefill test: n_prompt > 0, n_gen == 0
  int n_gen = 0;
  std::string test_time;  // UTC, ISO 8601, when the test started
  std::vector<int64_t> samples_ns;
  std::vector<double> samples_ts;  // tokens/s of each repetition
  double avg_ns = 0, stddev_ns = 0, avg_ts = 0, stddev_ts = 0;

  std::string test() const;  // "pp512" or "tg128"
};

// Runs the tests on `pool` (whose size is the thread count). Throws Error{kInvalidInput} for
// negative sizes or repetitions < 1.
std::vector<SpeedResult> RunSpeedBench(const Checkpoint& ckpt, ThreadPool& pool,
                                       const SpeedBenchOptions& options);

// Bytes of weights one decode step reads: every linear weight of every layer, the classifier and
// one embedding row (norm vectors are negligible and not counted).
uint64_t DecodeWeightBytes(const Checkpoint& ckpt);

// The name of the type holding most bytes among the 2-D weights ("Q4_0"), for the model label.
std::string DominantWeightType(const Checkpoint& ckpt);

// Peak resident set size of this process so far (getrusage ru_maxrss), in bytes.
int64_t PeakRssBytes();

// The checkpoint `load` returns and the seconds it took, the model's weights bound once (so the
// time includes the shape checks and norm conversions that happen before the first token).
struct TimedCheckpoint {
  Checkpoint checkpoint;
  double seconds = 0;
};
TimedCheckpoint TimedLoad(const std::function<Checkpoint()>& load);

// Sample mean and standard deviation (n - 1 in the denominator; 0 for one sample), as
// llama-bench's avg() and stdev().
double Mean(const std::vector<double>& v);
double StdDev(const std::vector<double>& v);

}  // namespace qforge::model
