// Scalar integer halves of the dot products of the 32-element block types (legacy and IQ4_NL),
// written from ggml's generic vec_dot code.
#include "qforge/kernels/ref/vec_dot_ref.h"

#include <cstring>

#include "qforge/core/qblocks.h"
#include "qforge/core/qblocks_kquants.h"

namespace qforge::kernels::ref {
namespace {
constexpr int kHalf = int(kLegacyBlockSize / 2);

template <class Block>
const Block* Blocks(const void* p) {
  return static_cast<const Block*>(p);
}

uint32_t LoadQh(const uint8_t (&qh)[4]) {
  uint32_t v;
  std::memcpy(&v, qh, 4);  // little-endian, as ggml's memcpy on x86 and ARM
  return v;
}

// The 5-bit code of element j (0..31) from its nibble and bit j of qh.
int Code5(int nibble, uint32_t qh, int j) { return nibble | int((qh >> j) & 1u) << 4; }
}  // namespace

void ISumsQ4_0(const void* w, const void* x, int64_t nb, int32_t* isum) {
  for (int64_t b = 0; b < nb; ++b) {
    const BlockQ4_0& wb = Blocks<BlockQ4_0>(w)[b];
    const BlockQ8_0& xb = Blocks<BlockQ8_0>(x)[b];
    int32_t sum = 0;
    for (int j = 0; j < kHalf; ++j)
      sum += ((wb.qs[j] & 0x0F) - 8) * xb.qs[j] + ((wb.qs[j] >> 4) - 8) * xb.qs[j + kHalf];
    isum[b] = sum;
  }
}

void ISumsQ4_1(const void* w, const void* x, int64_t nb, int32_t* isum) {
  for (int64_t b = 0; b < nb; ++b) {
    const BlockQ4_1& wb = Blocks<BlockQ4_1>(w)[b];
    const BlockQ8_1& xb = Blocks<BlockQ8_1>(x)[b];
    int32_t sum = 0;
    for (int j = 0; j < kHalf; ++j)
      sum += (wb.qs[j] & 0x0F) * xb.qs[j] + (wb.qs[j] >> 4) * xb.qs[j + kHalf];
    isum[b] = sum;
  }
}

void ISumsQ5_0(const void* w, const void* x, int64_t nb, int32_t* isum) {
  for (int64_t b = 0; b < nb; ++b) {
    const BlockQ5_0& wb = Blocks<BlockQ5_0>(w)[b];
    const BlockQ8_0& xb = Blocks<BlockQ8_0>(x)[b];
    const uint32_t qh = LoadQh(wb.qh);
    int32_t sum = 0;
    for (int j = 0; j < kHalf; ++j)
      sum += (Code5(wb.qs[j] & 0x0F, qh, j) - 16) * xb.qs[j] +
             (Code5(wb.qs[j] >> 4, qh, j + kHalf) - 16) * xb.qs[j + kHalf];
    isum[b] = sum;
  }
}

void ISumsQ5_1(const void* w, const void* x, int64_t nb, int32_t* isum) {
  for (int64_t b = 0; b < nb; ++b) {
    const BlockQ5_1& wb = Blocks<BlockQ5_1>(w)[b];
    const BlockQ8_1& xb = Blocks<BlockQ8_1>(x)[b];
    const uint32_t qh = LoadQh(wb.qh);
    int32_t sum = 0;
    for (int j = 0; j < kHalf; ++j)
      sum += Code5(wb.qs[j] & 0x0F, qh, j) * xb.qs[j] +
             Code5(wb.qs[j] >> 4, qh, j + kHalf) * xb.qs[j + kHalf];
    isum[b] = sum;
  }
}

void ISumsQ8_0(const void* w, const void* x, int64_t nb, int32_t* isum) {
  for (int64_t b = 0; b < nb; ++b) {
    const BlockQ8_0& wb = Blocks<BlockQ8_0>(w)[b];
    const BlockQ8_0& xb = Blocks<BlockQ8_0>(x)[b];
    int32_t sum = 0;
    for (int j = 0; j < int(kLegacyBlockSize); ++j) sum += wb.qs[j] * xb.qs[j];
    isum[b] = sum;
  }
}

void ISumsIQ4_NL(const void* w, const void* x, int64_t nb, int32_t* isum) {
  for (int64_t b = 0; b < nb; ++b) {
    const BlockIQ4_NL& wb = Blocks<BlockIQ4_NL>(w)[b];
    const BlockQ8_0& xb = Blocks<BlockQ8_0>(x)[b];
    int32_t sum = 0;
    for (int j = 0; j < kHalf; ++j)
      sum +=
          kIQ4NLValues[wb.qs[j] & 0x0F] * xb.qs[j] + kIQ4NLValues[wb.qs[j] >> 4] * xb.qs[j + kHalf];
    isum[b] = sum;
  }
}

}  // namespace qforge::kernels::ref
