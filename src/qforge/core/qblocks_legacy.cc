// Reference (scalar) quantization and dequantization of the Q8_0, Q4_0, Q4_1, Q5_0 and Q5_1 blocks.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "qforge/core/half.h"
#include "qforge/core/qblocks.h"

namespace qforge {
namespace {

constexpr int kHalf = int(kLegacyBlockSize / 2);

// The signed value of largest magnitude (the first one on ties, as ggml): symmetric types map it to
// the most negative code, which has one more step than the positive side.
float SignedAbsMax(const float* x) {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < kLegacyBlockSize; ++j)
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  return max;
}

void MinMax(const float* x, float& min, float& max) {
  min = FLT_MAX;
  max = -FLT_MAX;
  for (int j = 0; j < kLegacyBlockSize; ++j) {
    if (x[j] < min) min = x[j];
    if (x[j] > max) max = x[j];
  }
}

uint32_t LoadQh(const uint8_t (&qh)[4]) {
  uint32_t v;
  std::memcpy(&v, qh, 4);  // little-endian, as ggml's memcpy into a uint32_t on x86 and ARM
  return v;
}

// Fifth bit of element j (0..31) from the qh word, already shifted to bit 4 of the code.
int HighBit(uint32_t qh, int j) { return int((qh >> j) & 1u) << 4; }

template <class Block>
const Block* Blocks(const void* src) {
  return static_cast<const Block*>(src);
}

}  // namespace

void DequantizeRowQ8_0(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kLegacyBlockSize; ++i, dst += kLegacyBlockSize) {
    const BlockQ8_0& b = Blocks<BlockQ8_0>(src)[i];
    const float d = F16ToF32(b.d);
    for (int j = 0; j < kLegacyBlockSize; ++j) dst[j] = d * float(b.qs[j]);
  }
}

void QuantizeRowQ8_0(const float* src, void* dst, int64_t n) {
  auto* y = static_cast<BlockQ8_0*>(dst);
  for (int64_t i = 0; i < n / kLegacyBlockSize; ++i, src += kLegacyBlockSize) {
    float amax = 0.0f;
    for (int j = 0; j < kLegacyBlockSize; ++j) amax = std::max(amax, std::fabs(src[j]));
    const float d = amax / 127;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = F32ToF16(d);
    for (int j = 0; j < kLegacyBlockSize; ++j) y[i].qs[j] = int8_t(std::roundf(src[j] * id));
  }
}

void DequantizeRowQ4_0(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kLegacyBlockSize; ++i, dst += kLegacyBlockSize) {
    const BlockQ4_0& b = Blocks<BlockQ4_0>(src)[i];
    const float d = F16ToF32(b.d);
    for (int j = 0; j < kHalf; ++j) {
      dst[j] = d * float((b.qs[j] & 0x0F) - 8);
      dst[j + kHalf] = d * float((b.qs[j] >> 4) - 8);
    }
  }
}

void QuantizeRowQ4_0(const float* src, void* dst, int64_t n) {
  auto* y = static_cast<BlockQ4_0*>(dst);
  for (int64_t i = 0; i < n / kLegacyBlockSize; ++i, src += kLegacyBlockSize) {
    const float d = SignedAbsMax(src) / -8;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = F32ToF16(d);
    for (int j = 0; j < kHalf; ++j) {
      // The truncating int8 cast of x/d + 8.5 is ggml's rounding; 16 (x = -max) clamps to 15.
      const uint8_t q0 = uint8_t(std::min(15, int(int8_t(src[j] * id + 8.5f))));
      const uint8_t q1 = uint8_t(std::min(15, int(int8_t(src[j + kHalf] * id + 8.5f))));
      y[i].qs[j] = uint8_t(q0 | (q1 << 4));
    }
  }
}

void DequantizeRowQ4_1(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kLegacyBlockSize; ++i, dst += kLegacyBlockSize) {
    const BlockQ4_1& b = Blocks<BlockQ4_1>(src)[i];
    const float d = F16ToF32(b.d), m = F16ToF32(b.m);
    for (int j = 0; j < kHalf; ++j) {
      dst[j] = d * float(b.qs[j] & 0x0F) + m;
      dst[j + kHalf] = d * float(b.qs[j] >> 4) + m;
    }
  }
}

void QuantizeRowQ4_1(const float* src, void* dst, int64_t n) {
  auto* y = static_cast<BlockQ4_1*>(dst);
  for (int64_t i = 0; i < n / kLegacyBlockSize; ++i, src += kLegacyBlockSize) {
    float min, max;
    MinMax(src, min, max);
    const float d = (max - min) / 15;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = F32ToF16(d);
    y[i].m = F32ToF16(min);
    for (int j = 0; j < kHalf; ++j) {
      const uint8_t q0 = uint8_t(std::min(15, int(int8_t((src[j] - min) * id + 0.5f))));
      const uint8_t q1 = uint8_t(std::min(15, int(int8_t((src[j + kHalf] - min) * id + 0.5f))));
      y[i].qs[j] = uint8_t(q0 | (q1 << 4));
    }
  }
}

void DequantizeRowQ5_0(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kLegacyBlockSize; ++i, dst += kLegacyBlockSize) {
    const BlockQ5_0& b = Blocks<BlockQ5_0>(src)[i];
    const float d = F16ToF32(b.d);
    const uint32_t qh = LoadQh(b.qh);
    for (int j = 0; j < kHalf; ++j) {
      dst[j] = d * float(((b.qs[j] & 0x0F) | HighBit(qh, j)) - 16);
      dst[j + kHalf] = d * float(((b.qs[j] >> 4) | HighBit(qh, j + kHalf)) - 16);
    }
  }
}

namespace {
// Packs 5-bit codes q0 (element j) and q1 (element j + 16) into qs and the qh word.
void Pack5(int j, uint8_t q0, uint8_t q1, uint8_t* qs, uint32_t& qh) {
  qs[j] = uint8_t((q0 & 0x0F) | ((q1 & 0x0F) << 4));
  qh |= uint32_t((q0 & 0x10u) >> 4) << j;
  qh |= uint32_t((q1 & 0x10u) >> 4) << (j + kHalf);
}
}  // namespace

void QuantizeRowQ5_0(const float* src, void* dst, int64_t n) {
  auto* y = static_cast<BlockQ5_0*>(dst);
  for (int64_t i = 0; i < n / kLegacyBlockSize; ++i, src += kLegacyBlockSize) {
    const float d = SignedAbsMax(src) / -16;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = F32ToF16(d);
    uint32_t qh = 0;
    for (int j = 0; j < kHalf; ++j) {
      const uint8_t q0 = uint8_t(std::min(31, int(int8_t(src[j] * id + 16.5f))));
      const uint8_t q1 = uint8_t(std::min(31, int(int8_t(src[j + kHalf] * id + 16.5f))));
      Pack5(j, q0, q1, y[i].qs, qh);
    }
    std::memcpy(y[i].qh, &qh, 4);
  }
}

void DequantizeRowQ5_1(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kLegacyBlockSize; ++i, dst += kLegacyBlockSize) {
    const BlockQ5_1& b = Blocks<BlockQ5_1>(src)[i];
    const float d = F16ToF32(b.d), m = F16ToF32(b.m);
    const uint32_t qh = LoadQh(b.qh);
    for (int j = 0; j < kHalf; ++j) {
      dst[j] = d * float((b.qs[j] & 0x0F) | HighBit(qh, j)) + m;
      dst[j + kHalf] = d * float((b.qs[j] >> 4) | HighBit(qh, j + kHalf)) + m;
    }
  }
}

void QuantizeRowQ5_1(const float* src, void* dst, int64_t n) {
  auto* y = static_cast<BlockQ5_1*>(dst);
  for (int64_t i = 0; i < n / kLegacyBlockSize; ++i, src += kLegacyBlockSize) {
    float min, max;
    MinMax(src, min, max);
    const float d = (max - min) / 31;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = F32ToF16(d);
    y[i].m = F32ToF16(min);
    uint32_t qh = 0;
    // ggml has no clamp here: (x - min) / d + 0.5 stays below 31.5 up to f32 rounding.
    for (int j = 0; j < kHalf; ++j)
      Pack5(j, uint8_t((src[j] - min) * id + 0.5f), uint8_t((src[j + kHalf] - min) * id + 0.5f),
            y[i].qs, qh);
    std::memcpy(y[i].qh, &qh, 4);
  }
}

}  // namespace qforge
