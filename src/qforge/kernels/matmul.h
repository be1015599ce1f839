// Internal interface between ops.cc (checks, threading) and the per-type MatMul units.
//
// MatMulRows<T> computes the output rows [row_begin, row_end) of y = x W^T for all tokens, with W
// stored as T. Each specialisation lives in its own translation unit, matmul_<type>.cc, which
// compiles matmul-inl.h for every Highway target (STYLE.md practice 11).
#pragma once

#include <cstddef>
#include <cstdint>

#include "hwy/base.h"
#include "qforge/core/qtype.h"

namespace qforge::kernels {

struct MatMulArgs {
  const void* w;  // [out, in] weights, rows `w_stride` bytes apart
  size_t w_stride;
  QType type;               // storage type of w (block types dequantize through its traits row)
  int64_t w_first_row = 0;  // the row of W stored at `w`: lets a buffer hold only some rows
  int64_t out, in;
  const float* x;  // [n_tokens, in]
  int64_t n_tokens;
  float* y;  // [n_tokens, out]
  // QDotRows only: x quantized to the weight type's activation format (vec_dot.h), token rows
  // `xq_stride` bytes apart. MatMul fills it once per call, before the threads split the rows.
  const void* xq = nullptr;
  size_t xq_stride = 0;
};

// Tag for the block-quantized types (Q8_0, Q4_0, ...): MatMulRows<BlockRows> dequantizes a few
// weight rows at a time into an f32 buffer through Traits(type).dequantize_row and runs the f32
// kernel on them. Every output is still one f32 dot product computed by one thread in a fixed
// order, so results stay bit-identical at any thread count.
struct BlockRows {};

// Tag for the block types with an integer dot product (vec_dot.h: Q4_0, Q8_0, ...):
// MatMulRows<QDotRows> multiplies the weight codes by 8-bit activation codes (args.xq) as ggml
// does. Each output is one dot product computed by one thread in a fixed order.
struct QDotRows {};

template <typename T>
void MatMulRows(const MatMulArgs& args, int64_t row_begin, int64_t row_end);

template <>
void MatMulRows<float>(const MatMulArgs& args, int64_t row_begin, int64_t row_end);
template <>
void MatMulRows<hwy::float16_t>(const MatMulArgs& args, int64_t row_begin, int64_t row_end);
template <>
void MatMulRows<hwy::bfloat16_t>(const MatMulArgs& args, int64_t row_begin, int64_t row_end);
template <>
void MatMulRows<BlockRows>(const MatMulArgs& args, int64_t row_begin, int64_t row_end);
template <>
void MatMulRows<QDotRows>(const MatMulArgs& args, int64_t row_begin, int64_t row_end);

}  // namespace qforge::kernels
