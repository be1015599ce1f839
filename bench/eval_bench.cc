// Throughput of `qforge eval`'s lockstep text comparison: the test-bed model in f32 (baseline)
// against its Q8_0 quantization (candidate), llama.cpp's perplexity protocol, ctx 256, 8 chunks.
// The counter "tokens" counts the tokens both models process (2 x chunks x ctx) per second, the
// number to set beside two llama-perplexity runs (base pass, then --kl-divergence pass).
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>
#include <string>

#include "qforge/eval/kld.h"
#include "qforge/io/load_checkpoint.h"
#include "qforge/quant/quantize_model.h"
#include "qforge/tokenizer/load.h"

namespace qforge {
namespace {

void BM_EvalText(benchmark::State& state) {
  const std::string dir = std::string(QFORGE_SHARED_DIR) + "/models/testbed/";
  const Checkpoint base_ckpt = io::LoadCheckpoint(dir + "testbed.bin");
  ThreadPool pool(int(state.range(0)));
  const quant::QuantizedModel cand_ckpt =
      quant::QuantizeCheckpoint(base_ckpt, quant::LoadRecipe("Q8_0"), pool);
  const auto tok = tokenizer::LoadTokenizer(dir + "tokenizer.model");
  std::ifstream in(dir + "heldout.txt");
  std::stringstream text;
  text << in.rdbuf();
  const std::vector<int> tokens = tok->Encode(text.str(), /*add_bos=*/true);
  eval::PerplexityOptions options;
  options.n_ctx = 256;
  options.n_chunks = 8;
  model::LlamaModel base(base_ckpt, pool, options.n_ctx);
  model::LlamaModel cand(cand_ckpt.checkpoint, pool, options.n_ctx);
  for (auto _ : state) {
    const eval::DistributionResult r = eval::CompareDistributions(base, cand, tokens, options);
    benchmark::DoNotOptimize(r.kld_mean);
  }
  state.counters["tokens"] = benchmark::Counter(2.0 * options.n_chunks * options.n_ctx,
                                                benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_EvalText)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace qforge

BENCHMARK_MAIN();
