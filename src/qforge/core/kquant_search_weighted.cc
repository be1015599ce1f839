// The importance-weighted scale searches; see kquant_search_weighted.h. Comments name the
// ggml-quants.c function each block mirrors; expression shapes such as w * x * l (left to right)
// and the int/uint8 types of the codes are kept because they fix the f32 rounding.
#include "qforge/core/kquant_search_weighted.h"

#include <algorithm>
#include <cmath>

#include "qforge/core/kquant_search.h"

namespace qforge::kquant {
namespace {

int Clamp(int l, int lo, int hi) { return std::max(lo, std::min(hi, l)); }

// sum(w x l) and sum(w l^2) of the symmetric codes at inverse scale `iscale`; L (if given)
// receives the codes offset by nmax.
struct Sums {
  float sumlx = 0, suml2 = 0;
};
Sums SymmetricSums(int n, int nmax, const float* x, const float* w, float iscale, int8_t* L) {
  Sums s;
  for (int i = 0; i < n; ++i) {
    const int l = Clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1);
    if (L != nullptr) L[i] = int8_t(l + nmax);
    s.sumlx += w[i] * x[i] * float(l);
    s.suml2 += w[i] * float(l) * float(l);
  }
  return s;
}

// Weighted error of codes L under scale and min: sum w * |diff| (use_mad) or w * diff^2.
float AsymmetricError(int n, const float* x, const float* w, const uint8_t* L, float scale,
                      float min, bool use_mad) {
  float error = 0;
  for (int i = 0; i < n; ++i) {
    float diff = scale * float(L[i]) + min - x[i];
    diff = use_mad ? std::fabs(diff) : diff * diff;
    error += w[i] * diff;
  }
  return error;
}

}  // namespace

// make_qx_quants(n, nmax, x, L, 1, qw)
float MakeQxQuantsWeighted(int n, int nmax, const float* x, int8_t* L, const float* qw) {
  float max = 0, amax = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < kGroupMaxEps) {
    std::fill(L, L + n, int8_t(0));
    return 0.f;
  }
  Sums s = SymmetricSums(n, nmax, x, qw, float(-nmax) / max, L);
  float scale = s.suml2 != 0.0f ? s.sumlx / s.suml2 : 0.0f;
  float best = scale * s.sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    const float iscale = -(float(nmax) + 0.1f * float(is)) / max;
    s = SymmetricSums(n, nmax, x, qw, iscale, nullptr);
    if (s.suml2 > 0 && s.sumlx * s.sumlx > best * s.suml2) {
      SymmetricSums(n, nmax, x, qw, iscale, L);
      scale = s.sumlx / s.suml2;
      best = scale * s.sumlx;
    }
  }
  return scale;
}

// make_qkx3_quants with non-null weights
float MakeQkx3Quants(int n, int nmax, const float* x, const float* weights, uint8_t* L,
                     float* the_min, uint8_t* laux, float rmin, float rdelta, int nstep,
                     bool use_mad) {
  float min = x[0], max = x[0];
  float sum_w = weights[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    sum_w += weights[i];
    sum_x += weights[i] * x[i];
  }
  if (min > 0) min = 0;  // the min is subtracted and stored unsigned: zero must stay representable
  if (max <= min) {
    std::fill(L, L + n, uint8_t(0));
    *the_min = -min;
    return 0.f;
  }
  float iscale = float(nmax) / (max - min);
  float scale = 1 / iscale;
  for (int i = 0; i < n; ++i) L[i] = uint8_t(Clamp(NearestInt(iscale * (x[i] - min)), 0, nmax));
  float best_error = AsymmetricError(n, x, weights, L, scale, min, use_mad);
  if (nstep < 1) {
    *the_min = -min;
    return scale;
  }
  for (int is = 0; is <= nstep; ++is) {
    iscale = (rmin + rdelta * float(is) + float(nmax)) / (max - min);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      const int l = Clamp(NearestInt(iscale * (x[i] - min)), 0, nmax);
      laux[i] = uint8_t(l);
      const float w = weights[i];
      sum_l += w * float(l);
      sum_l2 += w * float(l) * float(l);
      sum_xl += w * float(l) * x[i];
    }
    // Least squares for (scale, min) over x ~ scale * l + min, by Cramer's rule.
    const float D = sum_w * sum_l2 - sum_l * sum_l;
    if (!(D > 0)) continue;
    float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
    float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
    if (this_min > 0) {
      this_min = 0;
      this_scale = sum_xl / sum_l2;
    }
    const float error = AsymmetricError(n, x, weights, laux, this_scale, this_min, use_mad);
    if (error < best_error) {
      std::copy(laux, laux + n, L);
      best_error = error;
      scale = this_scale;
      min = this_min;
    }
  }
  *the_min = -min;
  return scale;
}

// make_qp_quants. The codes live in uint8 as in ggml (a negative code would wrap there too), while
// the sums of the last two stages use the int code before narrowing, exactly as ggml does.
float MakeQpQuants(int n, int nmax, const float* x, uint8_t* L, const float* quant_weights) {
  float max = 0;
  for (int i = 0; i < n; ++i) max = x[i] > max ? x[i] : max;
  if (max < kGroupMaxEps) {
    std::fill(L, L + n, uint8_t(0));
    return 0.f;
  }
  float iscale = float(nmax) / max;
  for (int i = 0; i < n; ++i) L[i] = uint8_t(NearestInt(iscale * x[i]));
  const float scale = 1 / iscale;
  float best_mse = 0;
  for (int i = 0; i < n; ++i) {
    const float diff = x[i] - scale * float(L[i]);
    best_mse += quant_weights[i] * diff * diff;
  }
  for (int is = -4; is <= 4; ++is) {
    if (is == 0) continue;
    const float iscale_is = (0.1f * float(is) + float(nmax)) / max;
    const float scale_is = 1 / iscale_is;
    float mse = 0;
    for (int i = 0; i < n; ++i) {
      const int l = std::min(nmax, NearestInt(iscale_is * x[i]));
      const float diff = x[i] - scale_is * float(l);
      mse += quant_weights[i] * diff * diff;
    }
    if (mse < best_mse) {
      best_mse = mse;
      iscale = iscale_is;
    }
  }
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int l = std::min(nmax, NearestInt(iscale * x[i]));
    L[i] = uint8_t(l);
    const float w = quant_weights[i];
    sumlx += w * x[i] * float(l);
    suml2 += w * float(l) * float(l);
  }
  // Coordinate descent: move one code to its optimum given the others while the fit improves.
  for (int pass = 0; pass < 5; ++pass) {
    int changed = 0;
    for (int i = 0; i < n; ++i) {
      const float w = quant_weights[i];
      float slx = sumlx - w * x[i] * float(L[i]);
      float sl2 = suml2 - w * float(L[i]) * float(L[i]);
      if (!(slx > 0 && sl2 > 0)) continue;
      const int new_l = std::min(nmax, NearestInt(x[i] * sl2 / slx));
      if (new_l == int(L[i])) continue;
      slx += w * x[i] * float(new_l);
      sl2 += w * float(new_l) * float(new_l);
      if (slx * slx * suml2 > sumlx * sumlx * sl2) {
        L[i] = uint8_t(new_l);
        sumlx = slx;
        suml2 = sl2;
        ++changed;
      }
    }
    if (changed == 0) break;
  }
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

}  // namespace qforge::kquant
