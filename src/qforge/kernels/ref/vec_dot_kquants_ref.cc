// Scalar integer halves of the k-quant dot products, written from ggml's generic vec_dot code: the
// codes of a super-block are unpacked into element order (as ggml's aux8), then each sub-block's
// code products are summed and multiplied by its integer scale.
#include <cstdint>

#include "qforge/core/qblocks_kquants.h"
#include "qforge/kernels/ref/vec_dot_ref.h"

namespace qforge::kernels::ref {
namespace {
constexpr int kN = int(kQK_K);

template <class Block>
const Block* Blocks(const void* p) {
  return static_cast<const Block*>(p);
}

// sum_j scale[j] * sum_{i in sub-block j} a[i] * q8[i] over sub-blocks of `sub` elements.
int32_t ScaledSum(const int8_t* a, const int8_t* q8, const int* scale, int sub) {
  int32_t total = 0;
  for (int j = 0; j < kN / sub; ++j) {
    int32_t sum = 0;
    for (int i = j * sub; i < (j + 1) * sub; ++i) sum += a[i] * q8[i];
    total += scale[j] * sum;
  }
  return total;
}

// Element e = 128h + 32s + l of a 2-bit field: bits 2s..2s+1 of byte 32h + l.
int Crumb(const uint8_t* qs, int e) {
  const int h = e / 128, s = (e % 128) / 32, l = e % 32;
  return (qs[32 * h + l] >> (2 * s)) & 3;
}

// Element e = 64c + 32k + l of a 4-bit field: low (k = 0) or high (k = 1) nibble of byte 32c + l.
int Nibble(const uint8_t* qs, int e) {
  const int c = e / 64, k = (e % 64) / 32, l = e % 32;
  return (qs[32 * c + l] >> (4 * k)) & 0xF;
}

// Bit e / 32 of byte e % 32: Q3_K's hmask and Q5_K's qh.
int HighBit(const uint8_t* bits, int e) { return (bits[e % 32] >> (e / 32)) & 1; }
}  // namespace

void ISumsQ2_K(const void* w, const void* x, int64_t nb, int32_t* isum) {
  for (int64_t b = 0; b < nb; ++b) {
    const BlockQ2_K& wb = Blocks<BlockQ2_K>(w)[b];
    int8_t a[kN];
    int scale[16];
    for (int e = 0; e < kN; ++e) a[e] = int8_t(Crumb(wb.qs, e));
    for (int j = 0; j < 16; ++j) scale[j] = wb.scales[j] & 0xF;
    isum[b] = ScaledSum(a, Blocks<BlockQ8_K>(x)[b].qs, scale, 16);
  }
}

void ISumsQ3_K(const void* w, const void* x, int64_t nb, int32_t* isum) {
  for (int64_t b = 0; b < nb; ++b) {
    const BlockQ3_K& wb = Blocks<BlockQ3_K>(w)[b];
    int8_t a[kN];
    int scale[16];
    for (int e = 0; e < kN; ++e) a[e] = int8_t(Crumb(wb.qs, e) - (HighBit(wb.hmask, e) ? 0 : 4));
    for (int j = 0; j < 16; ++j) scale[j] = Q3KScale(j, wb.scales);
    isum[b] = ScaledSum(a, Blocks<BlockQ8_K>(x)[b].qs, scale, 16);
  }
}

void ISumsQ4_K(const void* w, const void* x, int64_t nb, int32_t* isum) {
  for (int64_t b = 0; b < nb; ++b) {
    const BlockQ4_K& wb = Blocks<BlockQ4_K>(w)[b];
    int8_t a[kN];
    int scale[8];
    for (int e = 0; e < kN; ++e) a[e] = int8_t(Nibble(wb.qs, e));
    for (int j = 0; j < 8; ++j) {
      uint8_t sc, m;
      KScaleMin(j, wb.scales, sc, m);
      scale[j] = sc;
    }
    isum[b] = ScaledSum(a, Blocks<BlockQ8_K>(x)[b].qs, scale, 32);
  }
}

void ISumsQ5_K(const void* w, const void* x, int64_t nb, int32_t* isum) {
  for (int64_t b = 0; b < nb; ++b) {
    const BlockQ5_K& wb = Blocks<BlockQ5_K>(w)[b];
    int8_t a[kN];
    int scale[8];
    for (int e = 0; e < kN; ++e) a[e] = int8_t(Nibble(wb.qs, e) | HighBit(wb.qh, e) << 4);
    for (int j = 0; j < 8; ++j) {
      uint8_t sc, m;
      KScaleMin(j, wb.scales, sc, m);
      scale[j] = sc;
    }
    isum[b] = ScaledSum(a, Blocks<BlockQ8_K>(x)[b].qs, scale, 32);
  }
}

void ISumsQ6_K(const void* w, const void* x, int64_t nb, int32_t* isum) {
  for (int64_t b = 0; b < nb; ++b) {
    const BlockQ6_K& wb = Blocks<BlockQ6_K>(w)[b];
    int8_t a[kN];
    int scale[16];
    // Element e = 128h + 32s + l: low nibble from ql[64h + 32(s%2) + l] (high nibble for s >= 2),
    // top 2 bits from bits 2s..2s+1 of qh[32h + l].
    for (int e = 0; e < kN; ++e) {
      const int h = e / 128, s = (e % 128) / 32, l = e % 32;
      const int low = (wb.ql[64 * h + 32 * (s % 2) + l] >> (4 * (s / 2))) & 0xF;
      const int high = (wb.qh[32 * h + l] >> (2 * s)) & 3;
      a[e] = int8_t((low | high << 4) - 32);
    }
    for (int j = 0; j < 16; ++j) scale[j] = wb.scales[j];
    isum[b] = ScaledSum(a, Blocks<BlockQ8_K>(x)[b].qs, scale, 16);
  }
}

}  // namespace qforge::kernels::ref
