// Greedy and top-k / top-p sampling.
#include "qforge/model/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace qforge::model {

int Argmax(std::span<const float> values) {
  return int(std::max_element(values.begin(), values.end()) - values.begin());
}

int Sampler::Sample(std::span<const float> logits) {
  if (options_.temperature <= 0.0f) return Argmax(logits);
  // Candidates sorted by logit (ties by id, for determinism), cut to top-k.
  std::vector<int> ids(logits.size());
  std::iota(ids.begin(), ids.end(), 0);
  const size_t k = options_.top_k > 0 ? std::min(ids.size(), size_t(options_.top_k)) : ids.size();
  std::partial_sort(ids.begin(), ids.begin() + std::ptrdiff_t(k), ids.end(), [&](int a, int b) {
    return logits[size_t(a)] != logits[size_t(b)] ? logits[size_t(a)] > logits[size_t(b)] : a < b;
  });
  ids.resize(k);
  // Softmax at the temperature over the candidates, in double.
  std::vector<double> probs(k);
  const double max = logits[size_t(ids[0])];
  double sum = 0;
  for (size_t i = 0; i < k; ++i)
    sum += probs[i] = std::exp((logits[size_t(ids[i])] - max) / options_.temperature);
  // Nucleus: the smallest prefix whose mass reaches top_p.
  double mass = 0;
  size_t keep = k;
  for (size_t i = 0; i < k; ++i) {
    mass += probs[i] / sum;
    if (mass >= options_.top_p) {
      keep = i + 1;
      break;
    }
  }
  const double kept_sum = std::accumulate(probs.begin(), probs.begin() + std::ptrdiff_t(keep), 0.0);
  // Inverse-CDF draw from a uniform made of 53 random bits: identical on every platform,
  // unlike std::discrete_distribution whose algorithm the standard leaves open.
  const double u = double(rng_() >> 11) * 0x1p-53 * kept_sum;
  double acc = 0;
  for (size_t i = 0; i < keep; ++i) {
    acc += probs[i];
    if (u < acc) return ids[i];
  }
  return ids[keep - 1];
}

}  // namespace qforge::model
