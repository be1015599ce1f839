// Keys and values of every past position, per layer, in f32: [layer][position][kv_dim], so one
// head's keys for consecutive positions are kv_dim floats apart.
#pragma once

#include <cstddef>
#include <vector>

namespace qforge::model {

class KvCache {
 public:
  KvCache(int n_layers, int capacity, int kv_dim)
      : capacity_(capacity),
        kv_dim_(kv_dim),
        k_(size_t(n_layers) * size_t(capacity) * size_t(kv_dim)),
        v_(k_.size()) {}

  int capacity() const { return capacity_; }
  float* K(int layer, int pos) { return &k_[Index(layer, pos)]; }
  float* V(int layer, int pos) { return &v_[Index(layer, pos)]; }
  size_t bytes() const { return (k_.size() + v_.size()) * sizeof(float); }

 private:
  size_t Index(int layer, int pos) const {
    return (size_t(layer) * size_t(capacity_) + size_t(pos)) * size_t(kv_dim_);
  }
  int capacity_;
  int kv_dim_;
  std::vector<float> k_, v_;
};

}  // namespace qforge::model
