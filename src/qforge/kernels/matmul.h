// Internal interface between ops.cc (checks, threading) and the per-type MatMul units.
//
// MatMulRows<T> computes the output rows [row_begin, row_end) of y = x W^T for all tokens, with W
// stored as T. Each specialisation lives in its own translation unit, matmul_<type>.cc, which
// compiles matmul-inl.h for every Highway target (STYLE.md practice 11).
#pragma once

#include <cstddef>
#include <cstdint>

#include "hwy/base.h"

namespace qforge::kernels {

struct MatMulArgs {
  const void* w;  // [out, in] weights, rows `w_stride` bytes apart
  size_t w_stride;
  int64_t out, in;
  const float* x;  // [n_tokens, in]
  int64_t n_tokens;
  float* y;  // [n_tokens, out]
};

template <typename T>
void MatMulRows(const MatMulArgs& args, int64_t row_begin, int64_t row_end);

template <>
void MatMulRows<float>(const MatMulArgs& args, int64_t row_begin, int64_t row_end);
template <>
void MatMulRows<hwy::float16_t>(const MatMulArgs& args, int64_t row_begin, int64_t row_end);
template <>
void MatMulRows<hwy::bfloat16_t>(const MatMulArgs& args, int64_t row_begin, int64_t row_end);

}  // namespace qforge::kernels
