// Cases of the native-type SIMD kernels (kernels/matmul_native.h), shared by
// tests/kernels/native_simd_test.cc and bench/kernels_bench.cc (STYLE.md practice 8).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/cases.h"
#include "qforge/kernels/matmul_native.h"

namespace qforge::test {

// The types with a native SIMD kernel (every qforge-native type must have one: the test counts).
inline std::vector<QType> NativeTypes() {
  std::vector<QType> types;
  for (QType type : AllQTypes())
    if (kernels::FindNativeKernel(type).rows) types.push_back(type);
  return types;
}

inline const char* PathName(kernels::NativePath path) {
  switch (path) {
    case kernels::NativePath::kAuto:
      return "auto";
    case kernels::NativePath::kFused:
      return "fused";
    case kernels::NativePath::kTiled:
      return "tiled";
  }
  return "?";
}

// Tests: 37 rows (partial row tiles); row lengths with partial units for the row-scaled types
// (17, 136 and 257 rounded up to whole blocks); 1 and 3 tokens (fused path by default), 17 and 64
// (tiled).
inline std::vector<MatMulCase> NativeTestCases() {
  std::vector<MatMulCase> cases;
  for (QType type : NativeTypes())
    for (int64_t in : {17, 136, 257})
      for (int64_t tokens : {1, 3, 17, 64})
        cases.push_back({37, WholeBlocks(in, type), tokens, type});
  return cases;
}

// Benchmarks: llama-1b-like (2048) and 7B-like (4096) square layers; decode (1 token), a short
// batch (4, the last fused count) and a prefill chunk (64).
inline std::vector<MatMulCase> NativeBenchCases() {
  std::vector<MatMulCase> cases;
  for (QType type : NativeTypes())
    for (int64_t n : {2048, 4096})
      for (int64_t tokens : {1, 4, 64}) cases.push_back({n, n, tokens, type});
  return cases;
}

}  // namespace qforge::test
