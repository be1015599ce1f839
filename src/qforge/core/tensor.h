// A named, typed, read-only view of tensor data that lives elsewhere (usually a memory-mapped
// file).
//
// Shapes are row-major with the outermost dimension first, as in PyTorch and safetensors: a linear
// layer's weight is [out_features, in_features] and each of its rows is contiguous. (GGUF stores
// the reverse order, ne[0] innermost; the GGUF reader and writer convert.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "qforge/core/qtype.h"

namespace qforge {

struct TensorView {
  std::string name;
  QType type = QType::kF32;
  std::vector<int64_t> shape;
  const std::byte* data = nullptr;
  size_t nbytes = 0;

  int64_t NumElements() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
  // Length of the innermost dimension (a row).
  int64_t Cols() const { return shape.empty() ? 1 : shape.back(); }
  // Number of rows: every dimension but the innermost.
  int64_t Rows() const { return shape.empty() ? 1 : NumElements() / shape.back(); }
  size_t RowStride() const { return RowBytes(type, Cols()); }
  const std::byte* Row(int64_t r) const { return data + size_t(r) * RowStride(); }
};

std::string ShapeString(const std::vector<int64_t>& shape);  // "[512, 64]"

}  // namespace qforge
