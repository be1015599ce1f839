// Kernel microbenchmarks: MatMul per qtype for decode (1 token) and prefill (256 tokens) at the
// shapes of tests/kernels/cases.h, and the vector ops. The argument is the thread count.
//
// Counters: FLOPS counts 2 per multiply-add; weights counts the bytes of W read per call (for
// decode, which streams W once, weights/s is the memory bandwidth achieved).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <string>
#include <vector>

#include "hwy/targets.h"
#include "kernels/cases.h"
#include "kernels/native_cases.h"
#include "qforge/core/thread_pool.h"
#include "qforge/kernels/dispatch.h"
#include "qforge/kernels/matmul_native.h"
#include "qforge/kernels/ops.h"
#include "qforge/kernels/quantize_act.h"

namespace qforge {
namespace {

using benchmark::Counter;

// `edit_x` may change the activations (x, in) before the timing.
void BM_MatMulWith(benchmark::State& state, const test::MatMulCase& c,
                   void (*edit_x)(std::vector<float>&, int64_t)) {
  test::MatMulInputs in = test::MakeMatMulInputs(c, 1);
  if (edit_x) edit_x(in.x, c.in);
  const TensorView w = in.View();
  std::vector<float> y(size_t(c.tokens * c.out));
  ThreadPool pool(int(state.range(0)));
  for (auto _ : state) {
    kernels::MatMul(w, in.x.data(), c.tokens, y.data(), pool);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.counters["FLOPS"] = Counter(c.Flops(), Counter::kIsIterationInvariantRate);
  state.counters["weights"] = Counter(c.WeightBytes(), Counter::kIsIterationInvariantRate);
  state.SetLabel(kernels::ActiveTarget());
}

void BM_MatMul(benchmark::State& state, const test::MatMulCase& c) {
  BM_MatMulWith(state, c, nullptr);
}

// A vector op over n floats; `arrays` is how many n-float arrays it reads or writes.
template <class Op>
void BM_VectorOp(benchmark::State& state, int64_t n, int arrays, Op op) {
  std::vector<float> a = test::RandomFloats(n, -1, 1, 1), b = test::RandomFloats(n, -1, 1, 2);
  std::vector<float> out(static_cast<size_t>(n));
  for (auto _ : state) {
    op(a.data(), b.data(), out.data(), n);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * n * arrays * int64_t(sizeof(float)));
  state.SetLabel(kernels::ActiveTarget());
}

void RegisterMatMul() {
  for (const test::MatMulCase& c : test::MatMulBenchCases())
    benchmark::RegisterBenchmark(("MatMul/" + c.Name()).c_str(), BM_MatMul, c)
        ->ArgName("threads")
        ->Arg(1)
        ->Arg(2)
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
}

// 10 of every token's columns (0.5% of 2048) at 20: LLM.int8()'s f32 path for them.
void SetOutlierColumns(std::vector<float>& x, int64_t in) {
  for (size_t t = 0; t < x.size() / size_t(in); ++t)
    for (int64_t j = 0; j < 10; ++j) x[t * size_t(in) + size_t(j * 200)] = 20.0f;
}

// W8A8 with AVX3_DL masked out: Highway's i16 multiply-add kernel on AVX3 instead of VNNI.
void BM_MatMulWithoutVnni(benchmark::State& state, const test::MatMulCase& c) {
  const int64_t supported = hwy::SupportedTargets();
  hwy::SetSupportedTargetsForTest(supported & ~int64_t(HWY_AVX3_DL));
  BM_MatMul(state, c);
  hwy::SetSupportedTargetsForTest(0);  // back to the CPU's targets
}

// W8A8 and LLM.int8() against the INT8 (weight-only) and Q8_0 products they replace, at a
// llama-1b-like 2048x2048 layer: decode (1 token) and a 128-token prefill. x is uniform in
// [-2, 2], so LLM_INT8 finds no outlier column at threshold 6; "LLM_INT8+outliers" sets 10
// columns (0.5%) to 20, the f32 path included.
void RegisterInt8Act() {
  for (QType type : {QType::kW8A8, QType::kLLM_INT8, QType::kINT8, QType::kQ8_0})
    for (int64_t tokens : {1, 128}) {
      const test::MatMulCase c{2048, 2048, tokens, type};
      benchmark::RegisterBenchmark(("Int8Act/" + c.Name()).c_str(), BM_MatMul, c)
          ->ArgName("threads")
          ->Arg(1)
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
    }
  if (hwy::SupportedTargets() & HWY_AVX3_DL)
    for (int64_t tokens : {1, 128}) {
      const test::MatMulCase c{2048, 2048, tokens, QType::kW8A8};
      benchmark::RegisterBenchmark(("Int8Act/no-VNNI/" + c.Name()).c_str(), BM_MatMulWithoutVnni, c)
          ->ArgName("threads")
          ->Arg(1)
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
    }
  for (int64_t tokens : {1, 128}) {
    const test::MatMulCase c{2048, 2048, tokens, QType::kLLM_INT8};
    const std::string name = "Int8Act/LLM_INT8+outliers/2048x2048/tokens:" + std::to_string(tokens);
    benchmark::RegisterBenchmark(name.c_str(), BM_MatMulWith, c, SetOutlierColumns)
        ->ArgName("threads")
        ->Arg(1)
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
  }
}

// The quantized types with VNNI tiles (vec_dot_vnni*-inl.h) at llama-1b's 2048x2048 and
// 5632x2048, decode and a 512-token prefill, with and without AVX3_DL (AVX3: Highway's i16
// kernel for decode, the dequantized f32 GEMM for prefill).
void RegisterQDotVnni() {
  for (QType type : {QType::kQ4_0, QType::kQ8_0, QType::kQ4_K, QType::kQ6_K})
    for (int64_t out : {2048, 5632})
      for (int64_t tokens : {1, 512}) {
        const test::MatMulCase c{out, 2048, tokens, type};
        benchmark::RegisterBenchmark(("QDot/" + c.Name()).c_str(), BM_MatMul, c)
            ->ArgName("threads")
            ->Arg(1)
            ->Arg(2)
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
        if (hwy::SupportedTargets() & HWY_AVX3_DL)
          benchmark::RegisterBenchmark(("QDot/no-VNNI/" + c.Name()).c_str(),
                                       BM_MatMulWithoutVnni, c)
              ->ArgName("threads")
              ->Arg(1)
              ->UseRealTime()
              ->Unit(benchmark::kMicrosecond);
      }
}

void RegisterVectorOps() {
  using Fn = void (*)(float*, float*, float*, int64_t);
  const struct {
    const char* name;
    int arrays;
    Fn fn;
  } ops[] = {
      {"Dot", 2, [](float* a, float* b, float* out, int64_t n) { out[0] = kernels::Dot(a, b, n); }},
      {"RmsNorm", 3,
       [](float* a, float* b, float* out, int64_t n) { kernels::RmsNorm(a, b, n, 1e-5f, out); }},
      // Softmax runs in place on `out`, refreshed from `a` so every call sees logits.
      {"Softmax", 2,
       [](float* a, float*, float* out, int64_t n) {
         std::copy(a, a + n, out);
         kernels::Softmax(out, n);
       }},
      {"SwiGlu", 3,
       [](float* a, float* b, float* out, int64_t n) { kernels::SwiGlu(a, b, n, out); }},
      {"Axpy", 3, [](float* a, float*, float* out, int64_t n) { kernels::Axpy(1e-3f, a, out, n); }},
  };
  for (const auto& op : ops)
    for (int64_t n : test::VectorBenchLengths())
      benchmark::RegisterBenchmark(
          (std::string(op.name) + "/n:" + std::to_string(n)).c_str(),
          [op, n](benchmark::State& s) { BM_VectorOp(s, n, op.arrays, op.fn); });
}

// Activation rows for the integer dot products (kernels/quantize_act.h) against core's scalar
// quantize_row, whose bytes they reproduce: rows of n floats uniform in [-1, 1], one thread.
void BM_QuantizeAct(benchmark::State& state, QType act, int64_t n, bool simd) {
  const std::vector<float> x = test::RandomFloats(n, -1, 1, 3);
  std::vector<std::byte> dst(RowBytes(act, n));
  const QuantizeRowFn scalar = Traits(act).quantize_row;
  for (auto _ : state) {
    if (simd)
      kernels::QuantizeActivationRow(act, x.data(), dst.data(), n);
    else
      scalar(x.data(), dst.data(), n);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * n * int64_t(sizeof(float)));
  state.SetLabel(simd ? kernels::QuantizeActTarget() : "scalar");
}

void RegisterQuantizeAct() {
  for (QType act : {QType::kQ8_0, QType::kQ8_1, QType::kQ8_K})
    for (int64_t n : {256, 4096})
      for (bool simd : {false, true}) {
        const std::string name = "QuantizeAct/" + std::string(Traits(act).name) +
                                 "/n:" + std::to_string(n) + (simd ? "/simd" : "/scalar");
        benchmark::RegisterBenchmark(name.c_str(), BM_QuantizeAct, act, n, simd);
      }
}

// qforge's native types (kernels/matmul_native.h), one thread, all rows in one call: the scalar
// path they had before (core's dequantize_row + the f32 kernel) against the SIMD kernels' fused
// (decode) and tiled (prefill) paths, forced. "weights" per second is the bandwidth decode reaches.
void BM_Native(benchmark::State& state, const test::MatMulCase& c, int path) {
  const test::MatMulInputs in = test::MakeMatMulInputs(c, 1);
  std::vector<float> y(size_t(c.tokens * c.out));
  const kernels::MatMulArgs args{
      in.storage.data(), RowBytes(c.type, c.in), c.type, 0, c.out, c.in, in.x.data(), c.tokens,
      y.data()};
  const kernels::NativeKernel k = kernels::FindNativeKernel(c.type);
  for (auto _ : state) {
    if (path < 0)
      kernels::MatMulRowsScalarDequant(args, 0, c.out);
    else
      k.rows(args, 0, c.out, kernels::NativePath(path));
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.counters["FLOPS"] = Counter(c.Flops(), Counter::kIsIterationInvariantRate);
  state.counters["weights"] = Counter(c.WeightBytes(), Counter::kIsIterationInvariantRate);
  state.SetLabel(path < 0 ? "scalar" : kernels::ActiveTarget());
}

void RegisterNative() {
  const struct {
    const char* name;
    int path;
  } paths[] = {{"scalar", -1},
               {"fused", int(kernels::NativePath::kFused)},
               {"tiled", int(kernels::NativePath::kTiled)}};
  for (const test::MatMulCase& c : test::NativeBenchCases())
    for (const auto& p : paths)
      benchmark::RegisterBenchmark(("Native/" + c.Name() + "/" + p.name).c_str(), BM_Native, c,
                                   p.path)
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
}

}  // namespace
}  // namespace qforge

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  qforge::RegisterMatMul();
  qforge::RegisterInt8Act();
  qforge::RegisterQDotVnni();
  qforge::RegisterVectorOps();
  qforge::RegisterQuantizeAct();
  qforge::RegisterNative();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
