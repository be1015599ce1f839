// The scale searches shared by the k-quant reference quantizers (internal to core/qblocks_*.cc).
//
// Each reproduces the ggml-quants.c helper of the same purpose with the same f32 operations in the
// same order, because llama-quantize's output depends on every rounding: a different summation
// order can pick another scale and change a whole sub-block.
#pragma once

#include <bit>
#include <cstdint>

namespace qforge::kquant {

// Below this abs-max a group counts as all zero (ggml's GROUP_MAX_EPS).
inline constexpr float kGroupMaxEps = 1e-15f;

// Rounds to the nearest integer, ties to even, for |x| <= 2^22 (ggml's nearest_int): adding
// 1.5 * 2^23 leaves the integer in the low mantissa bits.
inline int NearestInt(float x) {
  const float shifted = x + 12582912.f;
  return int(std::bit_cast<uint32_t>(shifted) & 0x007fffff) - 0x00400000;
}

// Symmetric codes L[i] in 0..2*nmax-1 (offset by nmax) for n values and the scale that
// reconstructs them, x ~ scale * (L - nmax) (ggml's make_qx_quants with rmse_type 1 and no
// importance weights: weights x^2, 18 scale trials around nmax / max).
float MakeQxQuants(int n, int nmax, const float* x, int8_t* L);

// Q3_K's variant (ggml's make_q3_quants with do_rmse): weights x^2, then up to 5 passes that move
// single codes while the weighted fit improves. Codes are offset by nmax.
float MakeQ3Quants(int n, int nmax, const float* x, int8_t* L);

// Asymmetric codes L[i] in 0..nmax with x ~ scale * L - min (ggml's make_qkx2_quants): a grid of
// nstep + 1 inverse scales (rmin + rdelta * is + nmax) / (max - min), each refit by weighted least
// squares for scale and min, keeping the smallest weighted error (|.| if use_mad, else squared).
// Returns the scale; *the_min receives min (>= 0, subtracted). laux is scratch of n bytes.
float MakeQkx2Quants(int n, int nmax, const float* x, const float* weights, uint8_t* L,
                     float* the_min, uint8_t* laux, float rmin, float rdelta, int nstep,
                     bool use_mad);

}  // namespace qforge::kquant
