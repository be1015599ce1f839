// qforge bench: load time, prefill and decode tokens/s, peak memory and the bandwidth decode
// reaches, in llama-bench's names; --machine measures the memory bandwidth itself.
#include <fmt/format.h>

#include "qforge/cli/common.h"
#include "qforge/core/error.h"
#include "qforge/core/thread_pool.h"
#include "qforge/io/mapped_file.h"
#include "qforge/kernels/memory_probe.h"
#include "qforge/model/speed_bench.h"
#include "qforge/report/bench_format.h"

namespace qforge::cli {
namespace {

struct BenchFlags {
  ModelFlags model;
  std::vector<int> threads;  // empty: all cores
  model::SpeedBenchOptions speed;
  std::string output = "table";
  bool machine = false;
  int64_t machine_elements = 0;  // 0: STREAM's rule (4x the last-level cache)
  double machine_gbps = 0;       // a bandwidth measured before, instead of probing again
};

std::vector<int> ThreadCounts(const BenchFlags& flags) {
  return flags.threads.empty() ? std::vector<int>{ThreadPool::DefaultThreads()} : flags.threads;
}

kernels::MemoryProbeReport Probe(const BenchFlags& flags) {
  kernels::MemoryProbeOptions options;
  options.elements = flags.machine_elements;
  options.threads = ThreadCounts(flags);
  if (flags.threads.empty()) {  // 1..N, as the brief of --machine promises
    options.threads.clear();
    for (int t = 1; t <= ThreadPool::DefaultThreads(); ++t) options.threads.push_back(t);
  }
  Note("bench: memory probe (STREAM copy, scale, add, triad) at {} thread counts",
       options.threads.size());
  return kernels::RunMemoryProbe(options);
}

void Run(const BenchFlags& flags) {
  const report::BenchFormat format = report::BenchFormatFromName(flags.output);
  report::BenchReport rep;
  if (flags.machine) {
    const kernels::MemoryProbeReport probe = Probe(flags);
    if (flags.model.model.empty()) {  // --machine alone: the probe is the result
      fmt::print("{}", report::FormatMemoryProbe(probe, format));
      return;
    }
    Note("{}", report::FormatMemoryProbe(probe, report::BenchFormat::kTable));
    rep.machine_gbps = probe.best_gbps();
  }
  if (flags.machine_gbps > 0) rep.machine_gbps = flags.machine_gbps;
  model::TimedCheckpoint loaded =
      model::TimedLoad([&] { return LoadModel(flags.model, false).checkpoint; });
  const Checkpoint& ckpt = loaded.checkpoint;
  rep.model.filename = flags.model.model.empty() ? ckpt.path : flags.model.model;
  rep.model.type = report::BenchModelType(ckpt.ParameterCount(), model::DominantWeightType(ckpt));
  rep.model.size = ckpt.WeightBytes();
  rep.model.n_params = ckpt.ParameterCount();
  rep.model.load_ms = loaded.seconds * 1e3;
  rep.model.use_mmap = io::GetWeightLoading() == io::WeightLoading::kMap;
  rep.model.weight_bytes_per_token = model::DecodeWeightBytes(ckpt);
  for (int threads : ThreadCounts(flags)) {
    ThreadPool pool(threads);
    Note("bench: {} threads", threads);
    for (model::SpeedResult& r : model::RunSpeedBench(ckpt, pool, flags.speed))
      rep.results.push_back(std::move(r));
  }
  rep.peak_rss_bytes = model::PeakRssBytes();
  fmt::print("{}", report::FormatBench(rep, format));
}

}  // namespace

void RegisterBench(CLI::App& app) {
  auto flags = std::make_shared<BenchFlags>();
  CLI::App* verb = app.add_subcommand(
      "bench",
      "Prefill and decode speed (llama-bench's pp/tg tests), load time, memory, bandwidth");
  verb->add_option(
      "model", flags->model.model,
      "Model: GGUF file, Hugging Face directory, or llama2.c .bin (default: bundled stories260K)");
  verb->add_option("-t,--threads", flags->threads, "Thread counts, e.g. 1,2 (default: all cores)")
      ->delimiter(',')
      ->check(CLI::PositiveNumber);
  verb->add_option("-p,--n-prompt", flags->speed.n_prompt, "Prompt tokens (0: no prefill test)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  verb->add_option("-n,--n-gen", flags->speed.n_gen, "Generated tokens (0: no decode test)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  verb->add_option("-r,--repetitions", flags->speed.repetitions,
                   "Repetitions of each test, after one warm-up run")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  verb->add_option("-o,--output", flags->output, "Output: table, json, csv or md")
      ->capture_default_str();
  verb->add_option("--recipe", flags->model.recipe,
                   "Quantize the model in memory by this preset or JSON recipe first (load time "
                   "then includes it)");
  verb->add_flag("--machine", flags->machine,
                 "Measure memory bandwidth (STREAM copy/scale/add/triad at 1..N threads); with a "
                 "model, decode GB/s is shown as a % of it");
  verb->add_option("--machine-elements", flags->machine_elements,
                   "Doubles per probe array (default: 4x the last-level cache, at least 8Mi)")
      ->check(CLI::NonNegativeNumber);
  verb->add_option("--machine-gbps", flags->machine_gbps,
                   "Memory bandwidth in GB/s measured before (skips the probe)")
      ->check(CLI::NonNegativeNumber);
  verb->callback([flags] {
    flags->model.threads = flags->threads.empty() ? 0 : flags->threads.front();
    Run(*flags);
  });
}

}  // namespace qforge::cli
