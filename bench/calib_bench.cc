// Time of the calibrated methods per layer (Google Benchmark): GPTQ on the test bed's and a 7B
// model's layer shapes (the Cholesky factorisations grow as in^3, the updates as out * in^2), and
// AWQ's scale search + clip search for a q/k/v group. Inputs are random; the cost does not depend
// on the values. Whole-model times are in the README (quantize on the test bed).
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "qforge/core/thread_pool.h"
#include "qforge/quant/awq.h"
#include "qforge/quant/gptq.h"

namespace qforge::quant {
namespace {

std::vector<float> Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(n);
  for (float& v : x) v = normal(rng);
  return x;
}

// A correlated, positive definite H (Kac-Murdock-Szego: H_ij = 0.9^|i-j|), built in O(in^2) so
// the 4096-wide case does not spend a minute on set-up.
std::vector<double> Hessian(int64_t in) {
  std::vector<double> h(size_t(in * in));
  for (int64_t i = 0; i < in; ++i)
    for (int64_t j = 0; j < in; ++j) h[size_t(i * in + j)] = std::pow(0.9, double(i > j ? i - j : j - i));
  return h;
}

void BM_Gptq(benchmark::State& state) {
  const int64_t out = state.range(0), in = state.range(1);
  const std::vector<double> h = Hessian(in);
  std::vector<float> w = Random(size_t(out * in), 2);
  for (float& v : w) v *= 0.02f;
  const LinearGrid grid = *LinearGrid::For(QType::kINT4_G128);
  for (auto _ : state) benchmark::DoNotOptimize(GptqQuantize(w.data(), out, in, h, grid, {}).bytes.data());
  state.SetLabel("INT4_G128");
}
BENCHMARK(BM_Gptq)->Args({256, 256})->Args({768, 256})->Args({256, 768})->Args({4096, 4096})
    ->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_AwqQkv(benchmark::State& state) {
  const int64_t in = state.range(0), tokens = 512;
  const std::vector<float> x = Random(size_t(tokens * in), 3);
  std::vector<float> mean_abs(size_t(in), 0.8f);
  std::vector<std::vector<float>> w(3, Random(size_t(in * in), 4));
  ThreadPool pool(1);
  for (auto _ : state) {
    std::vector<AwqLinear> lins;
    for (auto& m : w) lins.push_back({m.data(), in, QType::kINT4_G128_Z});
    const AwqScales s = AwqSearchScales(x.data(), tokens, in, mean_abs, lins, {}, pool);
    benchmark::DoNotOptimize(s.scales.data());
    benchmark::DoNotOptimize(AwqClip(lins[2], x.data(), tokens, in, {}, pool));
  }
}
BENCHMARK(BM_AwqQkv)->Arg(256)->Arg(1024)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace qforge::quant

BENCHMARK_MAIN();
