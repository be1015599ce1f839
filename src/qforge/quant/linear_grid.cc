// The fixed per-group grids of the INT and ggml legacy types (see linear_grid.h).
#include "qforge/quant/linear_grid.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "qforge/core/error.h"
#include "qforge/core/half.h"
#include "qforge/core/qblocks.h"
#include "qforge/core/qblocks_native.h"
#include "qforge/core/qblocks_native_util.h"

namespace qforge::quant {
namespace {

float RoundF16(float x) { return F16ToF32(F32ToF16(x)); }

// ggml's legacy symmetric types take the signed value of largest magnitude.
float SignedMax(std::span<const float> x) {
  float amax = 0.0f, max = 0.0f;
  for (float v : x)
    if (std::fabs(v) > amax) {
      amax = std::fabs(v);
      max = v;
    }
  return max;
}

int RoundClamp(float r, int lo, int hi) {
  if (!std::isfinite(r)) return r > 0 ? hi : lo;
  return int(std::clamp(std::nearbyint(r), float(lo), float(hi)));
}

template <int kBits>
void PackBits(const uint8_t* codes, int64_t n, uint8_t* out) {
  native::PackCodes<kBits>(codes, n, out);
}

void PackCodes(int bits, const uint8_t* codes, int64_t n, uint8_t* out) {
  switch (bits) {
    case 2:
      return PackBits<2>(codes, n, out);
    case 3:
      return PackBits<3>(codes, n, out);
    case 4:
      return PackBits<4>(codes, n, out);
  }
  Fail(ErrorKind::kInternal, "no {}-bit packing", bits);
}

// ggml's 4-bit block order: byte j holds element j (low nibble) and element j + 16 (high).
void PackNibbles32(const int16_t* c, uint8_t* qs) {
  for (int j = 0; j < 16; ++j) qs[j] = uint8_t((c[j] & 0x0F) | ((c[j + 16] & 0x0F) << 4));
}
uint32_t HighBits32(const int16_t* c) {
  uint32_t qh = 0;
  for (int j = 0; j < 32; ++j) qh |= uint32_t((c[j] >> 4) & 1) << j;
  return qh;
}

}  // namespace

std::optional<LinearGrid> LinearGrid::For(QType type) {
  const std::string_view name = Traits(type).name;
  switch (type) {
    case QType::kQ4_0:
      return LinearGrid(type, Family::kQ4_0, 4, 32, false, 0, 15);
    case QType::kQ4_1:
      return LinearGrid(type, Family::kQ4_1, 4, 32, false, 0, 15);
    case QType::kQ5_0:
      return LinearGrid(type, Family::kQ5_0, 5, 32, false, 0, 31);
    case QType::kQ5_1:
      return LinearGrid(type, Family::kQ5_1, 5, 32, false, 0, 31);
    case QType::kQ8_0:
      return LinearGrid(type, Family::kQ8_0, 8, 32, false, -127, 127);
    case QType::kINT8:
    case QType::kW8A8:
    case QType::kLLM_INT8:
      return LinearGrid(type, Family::kInt8, 8, 0, false, -127, 127);
    default:
      break;
  }
  // INT{b}_G{g}[_Z] and INT{b}_ROW[_Z]: parse the table's name rather than list 24 cases.
  if (!name.starts_with("INT") || name.size() < 5) return std::nullopt;
  const int bits = name[3] - '0';
  if (bits < 2 || bits > 4) return std::nullopt;
  const bool zero = name.ends_with("_Z");
  const int maxq = (1 << bits) - 1;
  if (name.substr(5).starts_with("ROW"))
    return LinearGrid(type, Family::kIntRow, bits, 0, zero, 0, maxq);
  return LinearGrid(type, Family::kIntGroup, bits, Traits(type).block_size, zero, 0, maxq);
}

GroupGrid LinearGrid::Find(std::span<const float> x) const {
  GroupGrid g;
  switch (family_) {
    case Family::kQ4_0:
    case Family::kQ5_0: {
      const float d = SignedMax(x) / (family_ == Family::kQ4_0 ? -8.0f : -16.0f);
      return {RoundF16(d), 0.0f, family_ == Family::kQ4_0 ? 8 : 16};
    }
    case Family::kQ4_1:
    case Family::kQ5_1: {
      const auto [lo, hi] = std::minmax_element(x.begin(), x.end());
      const float d = (*hi - *lo) / float(qmax_);
      return {RoundF16(d), RoundF16(*lo), 0};
    }
    case Family::kQ8_0:
    case Family::kInt8: {
      float amax = 0.0f;
      for (float v : x) amax = std::max(amax, std::fabs(v));
      g.scale = family_ == Family::kQ8_0 ? RoundF16(amax / 127.0f) : amax / 127.0f;
      return g;
    }
    case Family::kIntGroup:
    case Family::kIntRow: {
      // GPTQ's find_params (core/qblocks_native.h, with its two documented deviations).
      float xmin = 0.0f, xmax = 0.0f;
      for (float v : x) {
        xmin = std::min(xmin, v);
        xmax = std::max(xmax, v);
      }
      if (!zero_point_) {
        xmax = std::max(-xmin, xmax);
        xmin = -xmax;
      }
      if (xmin == 0.0f && xmax == 0.0f) {
        xmin = -1.0f;
        xmax = 1.0f;
      }
      const float span = xmax - xmin;
      float scale = std::isfinite(span) ? span / float(qmax_)
                                        : xmax / float(qmax_) - xmin / float(qmax_);
      if (family_ == Family::kIntGroup) scale = RoundF16(std::min(scale, 65504.0f));
      g.scale = scale;
      g.zero = (qmax_ + 1) / 2;
      if (zero_point_)
        g.zero = scale == 0.0f ? 0
                               : int(std::clamp(std::nearbyint(-xmin / scale), 0.0f,
                                                float(qmax_)));
      return g;
    }
  }
  return g;
}

int LinearGrid::Code(float x, const GroupGrid& g) const {
  if (g.scale == 0.0f) {
    if (family_ == Family::kQ4_1 || family_ == Family::kQ5_1) return 0;
    return std::clamp(g.zero, qmin_, qmax_);
  }
  if (family_ == Family::kQ4_1 || family_ == Family::kQ5_1)
    return RoundClamp((x - g.min) / g.scale, qmin_, qmax_);
  return RoundClamp(x / g.scale + float(g.zero), qmin_, qmax_);
}

float LinearGrid::Value(int code, const GroupGrid& g) const {
  // The same float expression as each type's dequantize_row, so Value() is what inference sees.
  if (family_ == Family::kQ4_1 || family_ == Family::kQ5_1) return float(code) * g.scale + g.min;
  if (family_ == Family::kIntGroup || family_ == Family::kIntRow)
    return g.scale * float(code - g.zero);
  return float(code - g.zero) * g.scale;
}

void LinearGrid::PackRow(std::span<const int16_t> codes, std::span<const GroupGrid> grids,
                         void* dst) const {
  const int64_t n = int64_t(codes.size());
  auto* out = static_cast<uint8_t*>(dst);
  std::vector<uint8_t> u8(codes.size());
  for (size_t i = 0; i < codes.size(); ++i) u8[i] = uint8_t(codes[i]);
  switch (family_) {
    case Family::kInt8: {
      native::StoreUnaligned(out, RowHeaderScale{grids[0].scale});
      for (int64_t i = 0; i < n; ++i) out[sizeof(RowHeaderScale) + size_t(i)] = uint8_t(int8_t(codes[size_t(i)]));
      return;
    }
    case Family::kIntRow: {
      if (zero_point_) {
        native::StoreUnaligned(out, RowHeaderScaleZero{grids[0].scale, grids[0].zero});
        out += sizeof(RowHeaderScaleZero);
      } else {
        native::StoreUnaligned(out, RowHeaderScale{grids[0].scale});
        out += sizeof(RowHeaderScale);
      }
      PackCodes(bits_, u8.data(), n, out);
      return;
    }
    case Family::kIntGroup: {
      const size_t block_bytes = Traits(type_).block_bytes;
      for (int64_t b = 0; b < n / group_; ++b) {
        uint8_t* block = out + size_t(b) * block_bytes;
        native::StoreUnaligned(block, F32ToF16(grids[size_t(b)].scale));
        uint8_t* qs = block + 2;
        if (zero_point_) *qs++ = uint8_t(grids[size_t(b)].zero);
        PackCodes(bits_, &u8[size_t(b * group_)], group_, qs);
      }
      return;
    }
    default:
      break;
  }
  for (int64_t b = 0; b < n / 32; ++b) {
    const int16_t* c = &codes[size_t(b * 32)];
    const GroupGrid& g = grids[size_t(b)];
    const uint16_t d = F32ToF16(g.scale), m = F32ToF16(g.min);
    switch (family_) {
      case Family::kQ4_0: {
        auto* blk = reinterpret_cast<BlockQ4_0*>(out) + b;
        blk->d = d;
        PackNibbles32(c, blk->qs);
        break;
      }
      case Family::kQ4_1: {
        auto* blk = reinterpret_cast<BlockQ4_1*>(out) + b;
        blk->d = d;
        blk->m = m;
        PackNibbles32(c, blk->qs);
        break;
      }
      case Family::kQ5_0: {
        auto* blk = reinterpret_cast<BlockQ5_0*>(out) + b;
        blk->d = d;
        const uint32_t qh = HighBits32(c);
        std::memcpy(blk->qh, &qh, 4);
        PackNibbles32(c, blk->qs);
        break;
      }
      case Family::kQ5_1: {
        auto* blk = reinterpret_cast<BlockQ5_1*>(out) + b;
        blk->d = d;
        blk->m = m;
        const uint32_t qh = HighBits32(c);
        std::memcpy(blk->qh, &qh, 4);
        PackNibbles32(c, blk->qs);
        break;
      }
      case Family::kQ8_0: {
        auto* blk = reinterpret_cast<BlockQ8_0*>(out) + b;
        blk->d = d;
        for (int j = 0; j < 32; ++j) blk->qs[j] = int8_t(c[j]);
        break;
      }
      default:
        QF_CHECK(false);
    }
  }
}

}  // namespace qforge::quant
