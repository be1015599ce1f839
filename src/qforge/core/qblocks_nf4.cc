// Reference codecs of bitsandbytes' 4-bit types NF4 and FP4 (blocks of 64, f32 absmax) and of NF4
// with double-quantized absmax (NF4_DQ), reproducing bitsandbytes' CUDA kernels (csrc/kernels.cu:
// kQuantizeBlockwise, dQuantizeNF4, dQuantizeFP4, dQuantize) and functional.py (quantize_4bit,
// get_4bit_type, create_dynamic_map).
#include <algorithm>
#include <cmath>
#include <vector>

#include "qforge/core/qblocks_native.h"
#include "qforge/core/qblocks_native_util.h"

namespace qforge {

// get_4bit_type("nf4"): quantiles of N(0, 1) normalized to [-1, 1] (create_normal_map), as f32.
const float kNF4Levels[16] = {-1.0f,
                              -0.6961928009986877f,
                              -0.5250730514526367f,
                              -0.39491748809814453f,
                              -0.28444138169288635f,
                              -0.18477343022823334f,
                              -0.09105003625154495f,
                              0.0f,
                              0.07958029955625534f,
                              0.16093020141124725f,
                              0.24611230194568634f,
                              0.33791524171829224f,
                              0.44070982933044434f,
                              0.5626170039176941f,
                              0.7229568362236023f,
                              1.0f};

// bnb's fp4 (1 sign, 2 exponent, 1 mantissa bits, bias 2, no Inf/NaN): magnitudes of codes 0..7
// are 0, 0.0625, 8, 12, 4, 6, 2, 3, divided by 12 (the largest), and bit 3 is the sign. The
// dequantization LUT of csrc/kernels.cu stores these quotients as the f32 literals below.
const float kFP4Levels[16] = {
    0.0f,  0.005208333333f,  0.66666667f,  1.0f,  0.33333333f,  0.5f,  0.16666667f,  0.25f,
    -0.0f, -0.005208333333f, -0.66666667f, -1.0f, -0.33333333f, -0.5f, -0.16666667f, -0.25f};

// The decision tree of dQuantizeNF4: the pivots are the midpoints between adjacent levels (bnb's
// f32 literals), compared with '>', so a tie goes to the lower level.
uint8_t NF4Code(float x) {
  // Midpoints between levels k-1 and k, k = 1..15, as bnb writes them.
  static constexpr float kMid[15] = {
      -0.8480964004993439f,  -0.6106329262256622f,  -0.4599952697753906f,   -0.33967943489551544f,
      -0.23460740596055984f, -0.13791173323988914f, -0.045525018125772476f, 0.03979014977812767f,
      0.1202552504837513f,   0.2035212516784668f,   0.2920137718319893f,    0.3893125355243683f,
      0.5016634166240692f,   0.6427869200706482f,   0.8614784181118011f};
  // Counting the midpoints below x equals walking bnb's balanced tree (same pivots, same '>'),
  // and a NaN (0 * Inf in an all-zero block) compares false everywhere: code 0, as in bnb.
  uint8_t code = 0;
  for (float m : kMid) code += x > m ? 1 : 0;
  return code;
}

// dQuantizeFP4: sign bit from x < 0 (so -0 and NaN get a positive code), then a tree on |x| with
// pivots at the midpoints of the sorted magnitudes, compared with '>'.
uint8_t FP4Code(float x) {
  const uint8_t sign = x < 0 ? 0b1000 : 0;
  x = std::fabs(x);
  // Sorted magnitudes' codes 0, 0.0625, 2, 3, 4, 6, 8, 12 (/12) and bnb's pivots between them.
  static constexpr uint8_t kCodes[8] = {0b000, 0b001, 0b110, 0b111, 0b100, 0b101, 0b010, 0b011};
  static constexpr float kMid[7] = {0.00260417f, 0.0859375f, 0.20833333f, 0.29166667f,
                                    0.4166667f,  0.583333f,  0.8333333f};
  int k = 0;
  for (float m : kMid) k += x > m ? 1 : 0;
  return uint8_t(kCodes[k] | sign);
}

namespace {

using native::FiniteRow;

// One 64-block as kQuantizeBlockwise does it: absmax = max |x|, x scaled by the f32 reciprocal,
// two codes per byte, element 2j in the high nibble. In an all-zero block bnb scales by 1/0 = Inf
// and every 0 * Inf is NaN, which both trees map to code 0; that is written out explicitly here.
template <uint8_t (*kCode)(float)>
void QuantizeBlock(const float* x, BlockNF4& out) {
  float amax = 0.0f;
  for (int64_t j = 0; j < kNF4BlockSize; ++j) amax = std::max(amax, std::fabs(x[j]));
  out.absmax = amax;
  const float inv = 1.0f / amax;
  for (int64_t j = 0; j < kNF4BlockSize / 2; ++j) {
    const uint8_t hi = amax != 0.0f ? kCode(x[2 * j] * inv) : kCode(NAN);
    const uint8_t lo = amax != 0.0f ? kCode(x[2 * j + 1] * inv) : kCode(NAN);
    out.qs[j] = uint8_t(hi << 4 | lo);
  }
}

template <uint8_t (*kCode)(float)>
void QuantizeRow4(const float* src, void* dst, int64_t n) {
  std::vector<float> buf;
  src = FiniteRow(src, n, buf);
  auto* blocks = static_cast<BlockNF4*>(dst);
  for (int64_t b = 0; b < n / kNF4BlockSize; ++b)
    QuantizeBlock<kCode>(src + b * kNF4BlockSize, blocks[b]);
}

void DequantizeRow4(const float* levels, const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockNF4*>(src);
  for (int64_t b = 0; b < n / kNF4BlockSize; ++b, dst += kNF4BlockSize) {
    const BlockNF4& in = blocks[b];
    for (int64_t j = 0; j < kNF4BlockSize / 2; ++j) {
      dst[2 * j] = levels[in.qs[j] >> 4] * in.absmax;
      dst[2 * j + 1] = levels[in.qs[j] & 0x0F] * in.absmax;
    }
  }
}

// torch.linspace(start, end, steps) in f32 as ATen's scalar CPU kernel computes it: the first half
// counts up from start, the second half down from end. (ATen's vectorized path can differ in the
// last bit for long ranges; the map is stored in every bnb checkpoint, so readers use the
// file's values and a last-bit difference in how it was built does not matter.)
std::vector<float> Linspace(float start, float end, int steps) {
  const float step = (end - start) / float(steps - 1);
  std::vector<float> v(static_cast<size_t>(steps));
  for (int i = 0; i < steps; ++i)
    v[size_t(i)] = i < steps / 2 ? start + step * float(i) : end - step * float(steps - i - 1);
  return v;
}

// create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8): for i = 0..6, the
// 2^i midpoints of linspace(0.1, 1, 2^i + 1) times 10^(i-6), both signs; then 0 and 1; sorted.
std::vector<float> BuildDynamicMap() {
  std::vector<float> data;
  for (int i = 0; i < 7; ++i) {
    const std::vector<float> bounds = Linspace(0.1f, 1.0f, (1 << i) + 1);
    const float scale = float(std::pow(10.0, double(i - 6)));  // the Python double, as f32
    for (size_t k = 0; k + 1 < bounds.size(); ++k) {
      const float mean = (bounds[k] + bounds[k + 1]) / 2.0f;
      data.push_back(scale * mean);
      data.push_back(-(scale * mean));
    }
  }
  data.push_back(0.0f);
  data.push_back(1.0f);
  std::sort(data.begin(), data.end());
  return data;
}

}  // namespace

const float* DynamicMap8() {
  static const std::vector<float> map = BuildDynamicMap();
  return map.data();
}

// dQuantize<0>: a 7-step binary search from code 127 that remembers the last codes above and
// below x, then the nearer of the final code and that neighbour by comparing with their
// midpoint; x exactly on the midpoint keeps the final code.
uint8_t DynamicMapCode(float x) {
  const float* code = DynamicMap8();
  int pivot = 127, upper_pivot = 255, lower_pivot = 0;
  float lower = -1.0f, upper = 1.0f;
  for (int step = 64; step > 0; step >>= 1) {
    if (x > code[pivot]) {
      lower_pivot = pivot;
      lower = code[pivot];
      pivot += step;
    } else {
      upper_pivot = pivot;
      upper = code[pivot];
      pivot -= step;
    }
  }
  const float val = code[pivot];
  if (upper_pivot == 255) upper = code[255];
  if (lower_pivot == 0) lower = code[0];
  if (x > val) return uint8_t(x > (upper + val) * 0.5f ? upper_pivot : pivot);
  return uint8_t(x < (lower + val) * 0.5f ? lower_pivot : pivot);
}

void QuantizeRowNF4(const float* src, void* dst, int64_t n) { QuantizeRow4<NF4Code>(src, dst, n); }
void QuantizeRowFP4(const float* src, void* dst, int64_t n) { QuantizeRow4<FP4Code>(src, dst, n); }
void DequantizeRowNF4(const void* src, float* dst, int64_t n) {
  DequantizeRow4(kNF4Levels, src, dst, n);
}
void DequantizeRowFP4(const void* src, float* dst, int64_t n) {
  DequantizeRow4(kFP4Levels, src, dst, n);
}

// bnb quantize_4bit(compress_statistics=True): offset = mean of the absmax values; absmax - offset
// quantized with quantize_blockwise(blocksize=256): absmax2 = max |v| per 256 values, code =
// DynamicMapCode(v * (1 / absmax2)).
NF4DoubleQuant DoubleQuantizeAbsmax(const float* absmax, int64_t n) {
  NF4DoubleQuant dq;
  if (n == 0) return dq;
  double sum = 0;  // torch's mean sums in another order: the offset may differ in the last bit
  for (int64_t b = 0; b < n; ++b) sum += absmax[b];
  dq.offset = float(sum / double(n));
  dq.codes.resize(size_t(n));
  for (int64_t b0 = 0; b0 < n; b0 += kNF4DoubleQuantBlock) {
    const int64_t b1 = std::min(n, b0 + kNF4DoubleQuantBlock);
    float amax2 = 0.0f;
    for (int64_t b = b0; b < b1; ++b) amax2 = std::max(amax2, std::fabs(absmax[b] - dq.offset));
    dq.absmax2.push_back(amax2);
    // All absmax equal to the offset (amax2 = 0): every v is 0, and 0 is a code of the map.
    const float inv = amax2 != 0.0f ? 1.0f / amax2 : 0.0f;
    for (int64_t b = b0; b < b1; ++b)
      dq.codes[size_t(b)] = DynamicMapCode((absmax[b] - dq.offset) * inv);
  }
  return dq;
}

float NF4DoubleQuant::Absmax(int64_t block) const {
  return DynamicMap8()[codes[size_t(block)]] * absmax2[size_t(block / kNF4DoubleQuantBlock)] +
         offset;
}

// NF4 codes computed with the exact absmax (as bnb), then every absmax replaced by its
// double-quantized value code[q] * absmax2 + offset (bnb's dequantize_4bit).
void QuantizeTensorNF4DQ(const float* src, int64_t rows, int64_t cols, void* dst) {
  const int64_t n = rows * cols;
  QuantizeRowNF4(src, dst, n);  // rows are contiguous whole blocks: one long row
  auto* blocks = static_cast<BlockNF4*>(dst);
  std::vector<float> absmax(size_t(n / kNF4BlockSize));
  for (size_t b = 0; b < absmax.size(); ++b) absmax[b] = blocks[b].absmax;
  const NF4DoubleQuant dq = DoubleQuantizeAbsmax(absmax.data(), int64_t(absmax.size()));
  for (size_t b = 0; b < absmax.size(); ++b) blocks[b].absmax = dq.Absmax(int64_t(b));
}

void QuantizeRowNF4DQ(const float* src, void* dst, int64_t n) {
  QuantizeTensorNF4DQ(src, 1, n, dst);
}

}  // namespace qforge
