// Internal interface of the SIMD MatMul kernels for qforge's native types (INT8, INTb_G*/ROW[_Z],
// NF4, NF4_DQ, FP4, FP8*): matmul_blocks.cc sends their rows here; tests and benchmarks may force a
// path. The kernels are matmul_native-inl.h compiled per Highway target in the units
// matmul_int4.cc, matmul_int23.cc and matmul_int_float.cc (INT8, NF4/FP4, FP8), one per family.
#pragma once

#include <cstdint>

#include "qforge/core/qtype.h"
#include "qforge/kernels/matmul.h"

namespace qforge::kernels {

// kFused: dequantize-dot in registers (decode); kTiled: SIMD-dequantize rows to f32, then the f32
// GEMM (prefill); kAuto: kFused up to kFusedMaxTokens tokens, else kTiled.
enum class NativePath { kAuto, kFused, kTiled };

// Fused up to this many tokens: each fused tile decodes its weights again for every 2 tokens,
// the tiled path once for all tokens (measured in the report of bench/kernels_bench.cc).
inline constexpr int64_t kFusedMaxTokens = 4;

struct NativeKernel {
  void (*rows)(const MatMulArgs& args, int64_t row_begin, int64_t row_end,
               NativePath path) = nullptr;
  // One row dequantized with SIMD, in element order: the bytes of Traits(type).dequantize_row.
  void (*dequantize_row)(const void* row, float* dst, int64_t n) = nullptr;
};

// The kernel of `type` on the best target of this CPU; both pointers null when `type` has none.
NativeKernel FindNativeKernel(QType type);

// The scalar path (matmul_blocks.cc): rows dequantized by Traits(type).dequantize_row, then the f32
// kernel. What the native types ran before their SIMD kernels; benchmarks compare against it.
void MatMulRowsScalarDequant(const MatMulArgs& args, int64_t row_begin, int64_t row_end);

// Per family (one translation unit each); FindNativeKernel asks them in turn.
NativeKernel FindNativeKernelInt4(QType type);
NativeKernel FindNativeKernelInt23(QType type);
NativeKernel FindNativeKernelFloat(QType type);

}  // namespace qforge::kernels
