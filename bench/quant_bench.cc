// Quantization throughput: every quantizable storage type over the test-bed model's 2-D weights
// (3.2M f32 weights, 12.9 MB), one thread, reference quantizers as `qforge quantize` runs them.
// The counter "f32" is MB of f32 input per second, comparable with llama-quantize's functions
// (ggml_quantize_chunk) timed on the same tensors.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "qforge/core/qblocks_native.h"
#include "qforge/core/qtype.h"
#include "qforge/io/load_checkpoint.h"

namespace qforge {
namespace {

struct Matrix {
  const float* data;
  int64_t rows, cols;
};

const std::vector<Matrix>& TestbedMatrices() {
  static const Checkpoint ckpt =
      io::LoadCheckpoint(std::string(QFORGE_SHARED_DIR) + "/models/testbed/testbed.bin");
  static const std::vector<Matrix> matrices = [] {
    std::vector<Matrix> m;
    for (const TensorView& t : ckpt.tensors)
      if (t.shape.size() == 2 && t.type == QType::kF32)
        m.push_back({reinterpret_cast<const float*>(t.data), t.Rows(), t.Cols()});
    return m;
  }();
  return matrices;
}

void BM_Quantize(benchmark::State& state, QType type) {
  const std::vector<Matrix>& matrices = TestbedMatrices();
  int64_t weights = 0;
  size_t out_bytes = 0;
  for (const Matrix& m : matrices) {
    weights += m.rows * m.cols;
    out_bytes = std::max(out_bytes, RowBytes(type, m.cols) * size_t(m.rows));
  }
  std::vector<std::byte> out(out_bytes);
  for (auto _ : state) {
    for (const Matrix& m : matrices) QuantizeTensor(type, m.data, m.rows, m.cols, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["f32"] =
      benchmark::Counter(double(weights) * 4.0, benchmark::Counter::kIsIterationInvariantRate,
                         benchmark::Counter::kIs1000);
}

// Every type with a quantizer whose block divides the test bed's rows (256 and 768).
int RegisterAll() {
  for (size_t i = 0; i < kQTypeCount; ++i) {
    const QTypeTraits& t = Traits(QType(i));
    if (t.quantize_row == nullptr || 256 % t.block_size != 0) continue;
    benchmark::RegisterBenchmark(("quantize/" + std::string(t.name)).c_str(), BM_Quantize, t.type)
        ->Unit(benchmark::kMillisecond);
  }
  return 0;
}
const int registered = RegisterAll();

}  // namespace
}  // namespace qforge

BENCHMARK_MAIN();
