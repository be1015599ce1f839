// Kernel cases shared by the tests and the benchmarks (STYLE.md practice 8): shape x qtype, each
// with a printable name, plus deterministic inputs for a case.
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "qforge/core/qtype.h"
#include "qforge/core/tensor.h"

namespace qforge::test {

// y[tokens, out] = x[tokens, in] W[out, in]^T with W stored as `type`.
struct MatMulCase {
  int64_t out, in, tokens;
  QType type;

  std::string Name() const {
    return fmt::format("{}/{}x{}/tokens:{}", Traits(type).name, out, in, tokens);
  }
  double Flops() const { return 2.0 * double(out) * double(in) * double(tokens); }
  double WeightBytes() const { return double(out) * double(RowBytes(type, in)); }
};

// Every storage type in the traits table, so a new qtype is tested (and benchmarked) or fails.
inline std::vector<QType> AllQTypes() {
  std::vector<QType> types;
  for (size_t i = 0; i < kQTypeCount; ++i) types.push_back(QType(i));
  return types;
}

// A row length rounded up to whole blocks of `type` (rows of block types hold whole blocks):
// 1, 3, 17 -> 32, 63 -> 64, 65 -> 96, 255 -> 256, 257 -> 288 for 32-element blocks.
inline int64_t WholeBlocks(int64_t in, QType type) {
  const int64_t b = Traits(type).block_size;
  return (in + b - 1) / b * b;
}

// Odd shapes: row lengths around the vector widths (4, 8, 16 lanes) and their multiples (rounded
// up to whole blocks), token counts below, at and above a tile; 37 rows is not a multiple of any
// tile height.
inline std::vector<MatMulCase> MatMulTestCases() {
  std::vector<MatMulCase> cases;
  for (QType type : AllQTypes())
    for (int64_t in : {1, 3, 17, 63, 64, 65, 255, 257})
      for (int64_t tokens : {1, 5, 64}) cases.push_back({37, WholeBlocks(in, type), tokens, type});
  return cases;
}

// Shapes large enough that 1-4 threads each get work (ops.cc keeps >= 64K multiply-adds each).
inline std::vector<MatMulCase> MatMulThreadingCases() {
  std::vector<MatMulCase> cases;
  for (QType type : AllQTypes()) {
    cases.push_back({1029, WholeBlocks(257, type), 1, type});
    cases.push_back({203, WholeBlocks(255, type), 5, type});
    cases.push_back({131, WholeBlocks(65, type), 64, type});
  }
  return cases;
}

// The test-bed model's layers (dim 256, hidden 768, vocab 512) and a llama-1b-like layer, for
// decode (1 token) and prefill (256 tokens); and a 64x64 GEMV, which must not get slower with
// more threads (ops.cc keeps it on one).
inline std::vector<MatMulCase> MatMulBenchCases() {
  const int64_t shapes[][2] = {{256, 256}, {768, 256},   {256, 768},
                               {512, 256}, {2048, 2048}, {5632, 2048}};
  std::vector<MatMulCase> cases;
  for (QType type : AllQTypes()) {
    cases.push_back({64, 64, 1, type});
    for (int64_t tokens : {1, 256})
      for (const auto& s : shapes) cases.push_back({s[0], s[1], tokens, type});
  }
  return cases;
}

// Vector lengths around 4/8/16-lane vectors and the 4-vector unrolled loop, plus a long one.
inline std::vector<int64_t> VectorTestLengths() { return {1, 3, 17, 63, 64, 65, 255, 257, 4099}; }
// Model widths: test-bed dim, llama-1b dim, a vocabulary (softmax over logits).
inline std::vector<int64_t> VectorBenchLengths() { return {256, 2048, 32000}; }

inline std::vector<float> RandomFloats(int64_t n, float lo, float hi, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& f : v) f = dist(rng);
  return v;
}

// Weights stored in the case's qtype, their exact f32 values, and activations.
struct MatMulInputs {
  MatMulCase c;
  std::vector<std::byte> storage;
  std::vector<float> w_f32;  // dequantized: what the kernel multiplies by
  std::vector<float> x;

  TensorView View() const {
    return TensorView{"w", c.type, {c.out, c.in}, storage.data(), storage.size()};
  }
};

inline MatMulInputs MakeMatMulInputs(const MatMulCase& c, uint32_t seed) {
  MatMulInputs in{c, {}, {}, {}};
  const QTypeTraits& t = Traits(c.type);
  const std::vector<float> w = RandomFloats(c.out * c.in, -1.0f, 1.0f, seed);
  in.storage.resize(size_t(c.out) * RowBytes(c.type, c.in));
  in.w_f32.resize(w.size());
  for (int64_t o = 0; o < c.out; ++o) {
    std::byte* row = in.storage.data() + size_t(o) * RowBytes(c.type, c.in);
    t.quantize_row(&w[size_t(o * c.in)], row, c.in);
    t.dequantize_row(row, &in.w_f32[size_t(o * c.in)], c.in);
  }
  in.x = RandomFloats(c.tokens * c.in, -2.0f, 2.0f, seed + 1);
  return in;
}

}  // namespace qforge::test
