// Picks the next token from logits: greedy (temperature 0) or sampled with temperature, top-k
// and top-p (nucleus) from a seeded generator, so a run is reproducible.
#pragma once

#include <cstdint>
#include <random>
#include <span>

namespace qforge::model {

struct SamplerOptions {
  float temperature = 0.0f;  // 0: greedy argmax
  int top_k = 40;            // 0: no limit
  float top_p = 0.95f;       // 1: no limit
  uint64_t seed = 42;
};

class Sampler {
 public:
  explicit Sampler(const SamplerOptions& options) : options_(options), rng_(options.seed) {}
  int Sample(std::span<const float> logits);

 private:
  SamplerOptions options_;
  std::mt19937_64 rng_;
};

// Index of the largest value; ties go to the lowest index.
int Argmax(std::span<const float> values);

}  // namespace qforge::model
