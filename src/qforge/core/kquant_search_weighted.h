// The importance-weighted scale searches of ggml-quants.c (internal to core/qblocks_weighted_*.cc).
//
// llama-quantize calls these instead of the reference searches (core/kquant_search.h) when it has
// an importance matrix: every weighted sum uses caller-given weights, derived from the imatrix,
// instead of x^2 or |x|. As in kquant_search.cc, each function keeps ggml's f32 operations in
// ggml's order, since one different rounding can pick another scale for a whole sub-block.
#pragma once

#include <cstdint>

namespace qforge::kquant {

// Symmetric codes L[i] in 0..2*nmax-1 (offset by nmax) with x ~ scale * (L - nmax), fitted by
// weighted least squares with weights qw over 19 inverse scales -(nmax + 0.1 is) / max
// (ggml's make_qx_quants with rmse_type 1 and non-null quant weights).
float MakeQxQuantsWeighted(int n, int nmax, const float* x, int8_t* L, const float* qw);

// Asymmetric codes L[i] in 0..nmax with x ~ scale * L - min (ggml's make_qkx3_quants): as
// MakeQkx2Quants, but the first candidate is kept even without a grid, and the error of a
// candidate is always weighted by `weights`. Returns the scale; *the_min receives min (>= 0,
// subtracted). laux is scratch of n bytes.
float MakeQkx3Quants(int n, int nmax, const float* x, const float* weights, uint8_t* L,
                     float* the_min, uint8_t* laux, float rmin, float rdelta, int nstep,
                     bool use_mad);

// Non-negative values x (sub-block scales or mins) as codes L[i] in 0..nmax times one scale
// (ggml's make_qp_quants): 9 inverse scales (nmax + 0.1 is) / max tried by weighted squared error,
// then up to 5 passes of single-code moves while the weighted least-squares fit improves.
// Returns the scale (0 for an all-zero input).
float MakeQpQuants(int n, int nmax, const float* x, uint8_t* L, const float* quant_weights);

}  // namespace qforge::kquant
