// Storage types whose values form a fixed uniform grid per group of columns, x = scale * (q -
// zero) or x = scale * q + min: the form GPTQ needs, because it fixes a group's grid when it
// reaches the group's first column and then rounds the group's columns one at a time onto it, each
// after the error feedback of the previous ones has moved it.
//
// The grids are the types' own: the same parameter rules as their round-to-nearest quantizers
// (ggml's for Q4_0..Q8_0, GPTQ's find_params for the INT types, core/qblocks_native.h), so RTN
// and GPTQ are compared on the same grid. One difference, the same for every type: a code is the
// nearest grid point of the *stored* (f16-rounded) scale, where ggml rounds with the f32 scale.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "qforge/core/qtype.h"

namespace qforge::quant {

struct GroupGrid {
  float scale = 0.0f;  // as stored (f16-rounded for block types)
  float min = 0.0f;    // Q4_1 / Q5_1: x = scale * q + min
  int zero = 0;        // the rest: x = scale * (q - zero)
};

class LinearGrid {
 public:
  // nullopt when `type` has no fixed per-group grid (k-quants, NF4, FP8, f16, ...).
  static std::optional<LinearGrid> For(QType type);

  QType type() const { return type_; }
  // Columns that share one grid: the block size, or 0 for one grid per row.
  int64_t group() const { return group_; }
  int qmin() const { return qmin_; }
  int qmax() const { return qmax_; }

  // The grid the type's quantizer gives these values (one group, or a whole row when group() == 0).
  GroupGrid Find(std::span<const float> x) const;
  // The nearest code of x on grid g (clamped to the type's code range) and its value.
  int Code(float x, const GroupGrid& g) const;
  float Value(int code, const GroupGrid& g) const;
  // Writes a row of `codes` (n = codes.size()) with grids[k] for group k (one grid when
  // group() == 0) in the type's row layout: RowBytes(type, n) bytes.
  void PackRow(std::span<const int16_t> codes, std::span<const GroupGrid> grids, void* dst) const;

 private:
  enum class Family { kIntGroup, kIntRow, kInt8, kQ4_0, kQ4_1, kQ5_0, kQ5_1, kQ8_0 };
  LinearGrid(QType type, Family family, int bits, int64_t group, bool zero_point, int qmin,
             int qmax)
      : type_(type),
        family_(family),
        bits_(bits),
        group_(group),
        zero_point_(zero_point),
        qmin_(qmin),
        qmax_(qmax) {}

  QType type_;
  Family family_;
  int bits_;
  int64_t group_;
  bool zero_point_;  // INT *_Z types: asymmetric with a stored zero point
  int qmin_, qmax_;
};

}  // namespace qforge::quant
