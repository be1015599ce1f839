// Rotary position embedding: a precomputed cos/sin table and the two pairing conventions.
#pragma once

#include <vector>

#include "qforge/core/checkpoint.h"

namespace qforge::model {

class RopeTable {
 public:
  RopeTable(int head_dim, int max_positions, float theta, RopeStyle style);

  // Rotates each of the n_heads heads of `x` (n_heads * head_dim floats) for position `pos`.
  void Apply(float* x, int n_heads, int pos) const;
  int max_positions() const { return max_positions_; }

 private:
  int head_dim_;
  int max_positions_;
  RopeStyle style_;
  // Angles are computed in double and rounded once: a float product pos * freq would lose about
  // pos * 6e-8 rad, visible in logits at long positions.
  std::vector<float> cos_, sin_;  // [max_positions][head_dim / 2]
};

}  // namespace qforge::model
