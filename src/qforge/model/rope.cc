// RoPE tables and rotation.
#include "qforge/model/rope.h"

#include <cmath>

namespace qforge::model {

RopeTable::RopeTable(int head_dim, int max_positions, float theta, RopeStyle style)
    : head_dim_(head_dim), max_positions_(max_positions), style_(style) {
  const int half = head_dim / 2;
  cos_.resize(size_t(max_positions) * size_t(half));
  sin_.resize(cos_.size());
  for (int p = 0; p < max_positions; ++p) {
    for (int i = 0; i < half; ++i) {
      const double freq = std::pow(double(theta), -2.0 * i / head_dim);
      const double angle = p * freq;
      cos_[size_t(p) * size_t(half) + size_t(i)] = float(std::cos(angle));
      sin_[size_t(p) * size_t(half) + size_t(i)] = float(std::sin(angle));
    }
  }
}

void RopeTable::Apply(float* x, int n_heads, int pos) const {
  const int half = head_dim_ / 2;
  const float* c = &cos_[size_t(pos) * size_t(half)];
  const float* s = &sin_[size_t(pos) * size_t(half)];
  for (int h = 0; h < n_heads; ++h) {
    float* v = x + size_t(h) * size_t(head_dim_);
    for (int i = 0; i < half; ++i) {
      // Adjacent pairs rotate (2i, 2i+1); rotate-half pairs (i, i + d/2). Same frequency i.
      float& a = style_ == RopeStyle::kAdjacentPairs ? v[2 * i] : v[i];
      float& b = style_ == RopeStyle::kAdjacentPairs ? v[2 * i + 1] : v[i + half];
      const float a0 = a, b0 = b;
      a = a0 * c[i] - b0 * s[i];
      b = a0 * s[i] + b0 * c[i];
    }
  }
}

}  // namespace qforge::model
