// Quantized dot products with 8-bit activations, computed the way ggml's CPU backend computes them.
//
// ggml never multiplies block-quantized weights by float activations: it first quantizes each
// activation row to the weight type's "vec_dot type" (Q8_0 for Q4_0, Q5_0, Q8_0 and IQ4_NL; Q8_1
// for Q4_1 and Q5_1; Q8_K for the k-quants) with quantize_row_q8_*, then takes block-wise integer
// dot products of the codes and scales each block's integer sum by the two block scales
// (ggml_vec_dot_<type>_<vec_dot type>). qforge does the same, so that its outputs (and the
// perplexity of llama.cpp's quantized files) match llama.cpp's, and because 8-bit integer products
// are faster than dequantizing the weights to f32. (From 32 tokens on, ops.cc's MatMul instead
// multiplies the dequantized weights by dequantize(q8(x)) with the tiled f32 GEMM: the same values
// up to f32 rounding, faster once the dequantization is shared by enough tokens.)
//
// Every product is split in two halves:
//  - the integer half, one exact int32 per block (legacy types, IQ4_NL) or per super-block
//    (k-quants): the scalar reference (ref/vec_dot_ref.h) and the SIMD kernels (vec_dot-inl.h)
//    compute the same integers;
//  - the float half, the block scales times those integers: the reference adds one term per block
//    in ggml's generic order (vec_dot_finish.h); the SIMD kernels, like ggml's own SIMD code, keep
//    f32 lane accumulators, so they differ from the reference by float rounding only (tested with
//    a derived bound). Each output is still computed by one fixed sequence of operations, so y is
//    bit-identical at any thread count on a given target.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qforge/core/qtype.h"
#include "qforge/kernels/matmul.h"

namespace qforge::kernels {

// Integer half of a row: `isum[b]` = exact integer sum of (super-)block b, for nb blocks.
using VecDotISumsFn = void (*)(const void* w, const void* x, int64_t nb, int32_t* isum);
// Float half of a row: the dot product from the integer sums (vec_dot_finish.h).
using VecDotFinishFn = float (*)(const void* w, const void* x, const int32_t* isum, int64_t nb);
// Output rows [begin, end) of MatMul with args.xq holding the quantized activations.
using QDotRowsFn = void (*)(const MatMulArgs& args, int64_t begin, int64_t end);

// One row per weight type that has an integer dot product (ggml's type_traits_cpu: vec_dot,
// vec_dot_type, from_float). Tests and benchmarks iterate kVecDotTraits through FindVecDot.
struct VecDotTraits {
  QType weight;
  QType act;                // activation blocks: Q8_0, Q8_1 or Q8_K, quantized by its traits row
  VecDotISumsFn isums_ref;  // scalar integer half (ref/vec_dot_ref.cc)
  VecDotFinishFn finish;    // reference float half (vec_dot_finish.h)
  QDotRowsFn rows;          // SIMD MatMul rows, dispatched to the best Highway target
};

// The row for `weight`, or null when it has no integer dot product (f32, f16, bf16, and block
// types without one, which MatMul dequantizes to f32 instead: matmul.h BlockRows).
const VecDotTraits* FindVecDot(QType weight);

// Blocks per row of n elements in the integer half (the weight type's block size: 32 or 256).
inline int64_t VecDotBlocks(const VecDotTraits& t, int64_t n) {
  return n / Traits(t.weight).block_size;
}

// The scalar reference dot product of one weight row with one quantized activation row of n
// elements: the integer half by plain loops (as ggml's *_generic code), then the float half.
float VecDotRef(const VecDotTraits& t, const void* w, const void* x, int64_t n);

}  // namespace qforge::kernels
