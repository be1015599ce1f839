// The prefill/decode timing loop, llama-bench's protocol on LlamaModel.
#include "qforge/model/speed_bench.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <map>
#include <random>

#include "qforge/core/error.h"
#include "qforge/model/llama_model.h"
#include "qforge/model/llama_weights.h"

namespace qforge::model {
namespace {

using Clock = std::chrono::steady_clock;

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int64_t Nanoseconds(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
}

// One prefill: n_prompt random ids in one batch from position 0, logits of the last only (as
// llama-bench's test_prompt, whose batch asks for the last logits).
int64_t RunPrompt(LlamaModel& model, int n_prompt, std::mt19937& rng, std::vector<float>& logits) {
  std::uniform_int_distribution<int> id(0, model.config().vocab_size - 1);
  std::vector<int> tokens(static_cast<size_t>(n_prompt));
  for (int& t : tokens) t = id(rng);
  KvCache cache = model.NewCache(n_prompt);
  const auto start = Clock::now();
  model.Forward(tokens, 0, cache, n_prompt - 1, logits.data());
  return Nanoseconds(start);
}

// One decode run: n_gen single-token steps from an empty cache, the first token BOS (id 1) and
// the next ones random, as llama-bench's test_gen.
int64_t RunGen(LlamaModel& model, int n_gen, std::mt19937& rng, std::vector<float>& logits) {
  std::uniform_int_distribution<int> id(0, model.config().vocab_size - 1);
  KvCache cache = model.NewCache(n_gen);
  int token = std::min(1, model.config().vocab_size - 1);
  const auto start = Clock::now();
  for (int i = 0; i < n_gen; ++i) {
    model.Forward({&token, 1}, i, cache, 0, logits.data());
    token = id(rng);
  }
  return Nanoseconds(start);
}

SpeedResult Measure(LlamaModel& model, int threads, int n_prompt, int n_gen,
                    const SpeedBenchOptions& o, std::mt19937& rng) {
  SpeedResult r;
  r.n_threads = threads;
  r.n_prompt = n_prompt;
  r.n_gen = n_gen;
  r.test_time = UtcNow();
  std::vector<float> logits(size_t(model.config().vocab_size));
  auto once = [&] {
    return n_prompt > 0 ? RunPrompt(model, n_prompt, rng, logits)
                        : RunGen(model, n_gen, rng, logits);
  };
  once();  // warm-up: pages the weights in, sizes the scratch buffers
  std::vector<double> ns;
  for (int rep = 0; rep < o.repetitions; ++rep) {
    r.samples_ns.push_back(once());
    ns.push_back(double(r.samples_ns.back()));
    r.samples_ts.push_back(1e9 * double(n_prompt + n_gen) / ns.back());
  }
  r.avg_ns = Mean(ns);
  r.stddev_ns = StdDev(ns);
  r.avg_ts = Mean(r.samples_ts);
  r.stddev_ts = StdDev(r.samples_ts);
  return r;
}

}  // namespace

std::string SpeedResult::test() const {
  return n_prompt > 0 ? "pp" + std::to_string(n_prompt) : "tg" + std::to_string(n_gen);
}

std::vector<SpeedResult> RunSpeedBench(const Checkpoint& ckpt, ThreadPool& pool,
                                       const SpeedBenchOptions& o) {
  if (o.n_prompt < 0 || o.n_gen < 0 || o.repetitions < 1)
    Fail(ErrorKind::kInvalidInput, "bench: -p {} -n {} -r {} (need >= 0, >= 0, >= 1)", o.n_prompt,
         o.n_gen, o.repetitions);
  // As llama-bench (n_ctx = the test's tokens), the context may exceed the training context:
  // speed does not depend on whether the positions were trained.
  LlamaModel model(ckpt, pool, std::max({o.n_prompt, o.n_gen, 1}));
  std::mt19937 rng(o.seed);
  std::vector<SpeedResult> results;
  if (o.n_prompt > 0) results.push_back(Measure(model, pool.size(), o.n_prompt, 0, o, rng));
  if (o.n_gen > 0) results.push_back(Measure(model, pool.size(), 0, o.n_gen, o, rng));
  return results;
}

uint64_t DecodeWeightBytes(const Checkpoint& ckpt) {
  const LlamaWeights w = BindLlamaWeights(ckpt);
  uint64_t bytes = w.output.nbytes + w.token_embedding.RowStride();
  for (const LayerWeights& l : w.layers)
    for (const TensorView* t : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down})
      bytes += t->nbytes;
  return bytes;
}

std::string DominantWeightType(const Checkpoint& ckpt) {
  std::map<QType, uint64_t> bytes;
  for (const TensorView& t : ckpt.tensors)
    if (t.shape.size() >= 2) bytes[t.type] += t.nbytes;
  auto most = std::max_element(bytes.begin(), bytes.end(),
                               [](const auto& a, const auto& b) { return a.second < b.second; });
  return most == bytes.end() ? "F32" : std::string(Traits(most->first).name);
}

int64_t PeakRssBytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return int64_t(usage.ru_maxrss) * 1024;  // Linux reports kilobytes
}

TimedCheckpoint TimedLoad(const std::function<Checkpoint()>& load) {
  const auto start = Clock::now();
  TimedCheckpoint t{load(), 0};
  BindLlamaWeights(t.checkpoint);
  t.seconds = double(Nanoseconds(start)) * 1e-9;
  return t;
}

double Mean(const std::vector<double>& v) {
  if (v.empty()) return 0;
  double sum = 0;
  for (double x : v) sum += x;
  return sum / double(v.size());
}

double StdDev(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  const double mean = Mean(v);
  double sq = 0;
  for (double x : v) sq += (x - mean) * (x - mean);
  return std::sqrt(sq / double(v.size() - 1));
}

}  // namespace qforge::model
