// SmoothQuant (Xiao et al. 2023): activations of LLMs have a few outlier channels that make
// per-token int8 rounding of x coarse, while weights are easy to quantize. Dividing input channel j
// by s_j = max|x_j|^alpha / max|W[:, j]|^(1 - alpha) (folded into the preceding RMSNorm) and
// multiplying the weight columns by s_j moves part of the difficulty from activations to weights,
// so both quantize well to int8 (W8A8). alpha = 0.5 is the paper's default for Llama-like models.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace qforge::quant {

struct SmoothLinear {
  const float* w = nullptr;  // row-major [rows, in]
  int64_t rows = 0;
};

// s_j = clamp(max|x_j|^alpha / max_k,o |W_k[o, j]|^(1-alpha), 1e-5), as the reference computes it
// (both maxima clamped to at least 1e-5 first).
std::vector<float> SmoothQuantScales(std::span<const float> x_absmax,
                                     std::span<const SmoothLinear> linears, double alpha);

}  // namespace qforge::quant
