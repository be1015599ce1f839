// Helpers shared by the qforge-native row codecs (qblocks_int.cc, qblocks_nf4.cc, qblocks_fp8.cc):
// the policy for non-finite inputs, unaligned scalar loads/stores and an LSB-first bit stream.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

namespace qforge::native {

// Non-finite inputs. The quantize verb rejects NaN/Inf weights before quantizing (a NaN weight is
// a broken checkpoint, not something to round), so reaching a codec with one is a caller's
// mistake; the codecs still give a finite, deterministic result instead of spreading NaN through
// a whole block: NaN is read as 0 and +-Inf as +-(largest finite |x| of the row). Returns `src`
// itself when the row is all finite (the usual case), else a cleaned copy held in `buf`.
inline const float* FiniteRow(const float* src, int64_t n, std::vector<float>& buf) {
  float max_finite = 0.0f;
  bool all_finite = true;
  for (int64_t i = 0; i < n; ++i) {
    if (std::isfinite(src[i]))
      max_finite = std::fmax(max_finite, std::fabs(src[i]));
    else
      all_finite = false;
  }
  if (all_finite) return src;
  buf.assign(src, src + n);
  for (float& x : buf) {
    if (std::isnan(x)) x = 0.0f;
    if (std::isinf(x)) x = std::copysign(max_finite, x);
  }
  return buf.data();
}

// Row headers are not aligned (rows of 3-bit codes have odd lengths), so they are copied.
template <class T>
T LoadUnaligned(const void* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}
template <class T>
void StoreUnaligned(void* p, const T& v) {
  std::memcpy(p, &v, sizeof(T));
}

// Codes of `bits` bits packed as one little-endian bit stream: code i occupies bits
// [i * bits, (i + 1) * bits) counted from bit 0 of byte 0. For 4 bits, byte j = c[2j] | c[2j+1] <<
// 4; for 3 bits, 8 codes fill 3 bytes; for 2 bits, byte j = c[4j] | c[4j+1] << 2 | ... This is
// GPTQ's qweight order within each int32 word (and across words for 3 bits).
template <int kBits>
void PackCodes(const uint8_t* codes, int64_t n, uint8_t* out) {
  std::memset(out, 0, size_t(n * kBits / 8));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t bit = i * kBits;
    const uint32_t v = uint32_t(codes[i]) << (bit % 8);  // spans at most 2 bytes (kBits <= 8)
    out[bit / 8] |= uint8_t(v);
    if ((bit % 8) + kBits > 8) out[bit / 8 + 1] |= uint8_t(v >> 8);
  }
}

template <int kBits>
uint8_t UnpackCode(const uint8_t* in, int64_t i) {
  const int64_t bit = i * kBits;
  uint32_t v = in[bit / 8];
  if ((bit % 8) + kBits > 8) v |= uint32_t(in[bit / 8 + 1]) << 8;
  return uint8_t((v >> (bit % 8)) & ((1u << kBits) - 1));
}

}  // namespace qforge::native
