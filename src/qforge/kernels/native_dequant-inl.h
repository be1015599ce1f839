// Highway decoders of qforge's native types (core/qblocks_native.h), per target: packed codes to
// f32 weight vectors in registers, bit-identical to the scalar row codecs.
//
// A codec decodes one *unit* of a row at a time: kK vectors of N lanes covering U = kK * N
// consecutive elements. The bytes of a unit are loaded once, one code group per lane (lane i holds
// a byte for 8-bit and 4-bit codes, the 4 codes of a byte for 2-bit, the 8 codes of 3 bytes for
// 3-bit), and vector s takes the s-th code of every lane: it holds elements k*i + s, i < N. So the
// unit's elements come out in a fixed *permuted* order, and the kernels multiply them by x in the
// same order (PermuteActivations): a dot product does not care about the order of its terms, and no
// shuffle is needed to restore the element order.
//
// Exactness: every code becomes an exact small integer (q - z), table level or fp8 value in f32,
// and one f32 product by the group or row scale gives the weight, as the scalar codecs compute it
// (scale * float(q - zero), levels[q] * absmax, scale * E4M3ToF32(q)): same bits.
//
// Geometry: for group-scaled types (INTb_Gg, NF4, FP4) the codec caps N so that a unit never
// straddles two groups (U divides the group); rows hold whole groups, so there is no tail.
// Row-scaled types (INT8, INTb_ROW, FP8) have one scale per row and any multiple of their unit (1,
// 2, 4 or 8 elements) as row length: the last, partial unit is decoded from a zero-padded copy
// (TailRow).

#if defined(QFORGE_KERNELS_NATIVE_DEQUANT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFORGE_KERNELS_NATIVE_DEQUANT_INL_H_
#undef QFORGE_KERNELS_NATIVE_DEQUANT_INL_H_
#else
#define QFORGE_KERNELS_NATIVE_DEQUANT_INL_H_
#endif

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "hwy/highway.h"
#include "qforge/core/half.h"
#include "qforge/core/qblocks_native.h"

HWY_BEFORE_NAMESPACE();
namespace qforge::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// One row's scale, zero point and codes, read once per row. Group-scaled codecs keep only `codes`
// (the row's first block).
struct NativeRow {
  const uint8_t* codes;
  float d = 0;
  int32_t z = 0;
};

// The scale of a group of units, read once for all of them: its codes, scale d, zero point z, and
// for the f16-scaled INT groups b = -z d (see DecodeIntUnit). Row-scaled types: the whole row.
struct NativeGroup {
  const uint8_t* codes;
  float d = 0, b = 0;
  int32_t z = 0;
};

// Bytes p[0, N) as N i32 lanes (zero-extended).
template <class D>
HWY_INLINE hn::Vec<hn::RebindToSigned<D>> LoadBytes32(D d, const uint8_t* p) {
  const hn::Rebind<uint8_t, D> d8;
  (void)d;
  return hn::BitCast(hn::RebindToSigned<D>(),
                     hn::PromoteTo(hn::RebindToUnsigned<D>(), hn::LoadU(d8, p)));
}

// Lane i = bits [24 i, 24 i + 24) of p: the 8 codes of 3 packed bytes (3-bit codes). Assembled in
// scalar code, one 24-bit word per 8 codes, then loaded.
template <class D>
HWY_INLINE hn::Vec<hn::RebindToSigned<D>> LoadTriples32(D d, const uint8_t* p) {
  HWY_ALIGN int32_t words[hn::MaxLanes(D())];
  const size_t n = hn::Lanes(d);
  for (size_t i = 0; i < n; ++i)
    words[i] = int32_t(p[3 * i] | uint32_t(p[3 * i + 1]) << 8 | uint32_t(p[3 * i + 2]) << 16);
  return hn::Load(hn::RebindToSigned<D>(), words);
}

// Packed INT codes of kBits bits (LSB-first bit stream), kK codes per lane: vector s holds the
// codes q = (word >> s * kBits) & mask, and w = d (q - z) as the scalar codec computes it.
// kF16Scale: d is an f16 value (11 significant bits), so d q, d z and d (q - z) (at most 15 bits)
// are exact in f32, and one FMA q d + b with b = -z d gives the exact d (q - z): one operation
// fewer. (The one difference: d = 0 with q < z gives +0 where the codec's 0 * (q - z) gives -0.)
// Row scales are f32, where d (q - z) rounds: subtract first, then one product, as the codec.
template <int kBits, bool kF16Scale, class D>
HWY_INLINE void DecodeIntUnit(D d, const uint8_t* p, const NativeGroup& g, hn::Vec<D>* w) {
  constexpr int kK = kBits == 3 ? 8 : 8 / kBits;
  const hn::RebindToSigned<D> di;
  const auto word = kBits == 3 ? LoadTriples32(d, p) : LoadBytes32(d, p);
  const auto mask = hn::Set(di, (1 << kBits) - 1);
  const auto scale = hn::Set(d, g.d);
  for (int k = 0; k < kK; ++k) {
    const auto q = hn::And(hn::ShiftRightSame(word, k * kBits), mask);
    if constexpr (kF16Scale)
      w[k] = hn::MulAdd(hn::ConvertTo(d, q), scale, hn::Set(d, g.b));
    else
      w[k] = hn::Mul(hn::ConvertTo(d, hn::Sub(q, hn::Set(di, g.z))), scale);
  }
}

// ---- Codecs. Each has: D (its f32 tag), kK, kCodeBits (for the tail copy), kRowScaled;
// Parse(row); UnitsPerGroup(unit size) (row-scaled: all); Group(row, u), the group of unit u; and
// Unit(d, group, u, w[kK]), the u-th unit of the row.

// Units of a whole row (row-scaled types): one group.
inline constexpr size_t kWholeRow = ~size_t{0};

// INTb_Gg[_Z]: blocks | d:f16 | [z:u8] | qs |.
template <int kBits, int kGroup, bool kZero>
struct IntGroupCodec {
  static constexpr int kK = kBits == 3 ? 8 : 8 / kBits;
  static constexpr int kCodeBits = kBits;
  static constexpr bool kRowScaled = false;
  using D = hn::CappedTag<float, size_t(kGroup / kK)>;
  using Block = std::conditional_t<kZero, BlockIntAsym<kBits, kGroup>, BlockIntSym<kBits, kGroup>>;

  static NativeRow Parse(const void* row) { return {static_cast<const uint8_t*>(row)}; }
  static size_t UnitsPerGroup(size_t unit) { return size_t(kGroup) / unit; }
  HWY_INLINE static NativeGroup Group(const NativeRow& r, size_t u) {
    const auto& b = reinterpret_cast<const Block*>(r.codes)[u * kK * hn::Lanes(D()) / kGroup];
    int32_t zero = 1 << (kBits - 1);
    if constexpr (kZero) zero = b.z;
    const float d = F16ToF32(b.d);
    return {b.qs, d, -float(zero) * d, zero};
  }
  HWY_INLINE static void Unit(D d, const NativeGroup& g, size_t u, hn::Vec<D>* w) {
    const size_t first = (u * kK * hn::Lanes(d)) % kGroup;  // units never straddle blocks
    DecodeIntUnit<kBits, true>(d, g.codes + first * kBits / 8, g, w);
  }
};

// INTb_ROW[_Z] and INT8 are row-scaled: | d:f32 | [z:i32] | codes |.
template <int kBits, bool kZero>
struct IntRowCodec {
  static constexpr int kK = kBits == 3 ? 8 : 8 / kBits;
  static constexpr int kCodeBits = kBits;
  static constexpr bool kRowScaled = true;
  using D = hn::ScalableTag<float>;

  static NativeRow Parse(const void* row) {
    const auto* p = static_cast<const uint8_t*>(row);
    NativeRow r{p + (kZero ? sizeof(RowHeaderScaleZero) : sizeof(RowHeaderScale))};
    std::memcpy(&r.d, p, sizeof(float));
    r.z = 1 << (kBits - 1);
    if constexpr (kZero) std::memcpy(&r.z, p + sizeof(float), sizeof(int32_t));
    return r;
  }
  static size_t UnitsPerGroup(size_t) { return kWholeRow; }
  HWY_INLINE static NativeGroup Group(const NativeRow& r, size_t) { return {r.codes, r.d, 0, r.z}; }
  HWY_INLINE static void Unit(D d, const NativeGroup& g, size_t u, hn::Vec<D>* w) {
    DecodeIntUnit<kBits, false>(d, g.codes + u * hn::Lanes(d) * kBits * kK / 8, g, w);
  }
};

struct Int8Codec {
  static constexpr int kK = 1;
  static constexpr int kCodeBits = 8;
  static constexpr bool kRowScaled = true;
  using D = hn::ScalableTag<float>;

  static NativeRow Parse(const void* row) {
    const auto* p = static_cast<const uint8_t*>(row);
    NativeRow r{p + sizeof(RowHeaderScale)};
    std::memcpy(&r.d, p, sizeof(float));
    return r;
  }
  static size_t UnitsPerGroup(size_t) { return kWholeRow; }
  HWY_INLINE static NativeGroup Group(const NativeRow& r, size_t) { return {r.codes, r.d}; }
  HWY_INLINE static void Unit(D d, const NativeGroup& g, size_t u, hn::Vec<D>* w) {
    const hn::Rebind<int8_t, D> d8;
    const auto q =
        hn::PromoteTo(hn::RebindToSigned<D>(),
                      hn::LoadU(d8, reinterpret_cast<const int8_t*>(g.codes) + u * hn::Lanes(d)));
    w[0] = hn::Mul(hn::ConvertTo(d, q), hn::Set(d, g.d));
  }
};

// levels[idx] for idx in [0, 16): one TableLookupLanes per N-lane slice of the table (one in all
// with 16 lanes), each slice overriding the lanes whose index reaches it. `levels` holds at least
// max(16, N) floats.
template <class D>
HWY_INLINE hn::Vec<D> Lookup16(D d, const float* levels, hn::Vec<hn::RebindToSigned<D>> idx) {
  const hn::RebindToSigned<D> di;
  const size_t n = hn::Lanes(d);
  if (n >= 16) return hn::TableLookupLanes(hn::LoadU(d, levels), hn::IndicesFromVec(d, idx));
  const auto lane = hn::And(idx, hn::Set(di, int32_t(n - 1)));  // idx - j inside slice j
  auto out = hn::TableLookupLanes(hn::LoadU(d, levels), hn::IndicesFromVec(d, lane));
  for (size_t j = n; j < 16; j += n) {
    const auto reached = hn::RebindMask(d, hn::Set(di, int32_t(j) - 1) < idx);
    out = hn::IfThenElse(
        reached, hn::TableLookupLanes(hn::LoadU(d, levels + j), hn::IndicesFromVec(d, lane)), out);
  }
  return out;
}

// A 16-level table padded to the widest vector, so that Lookup16 may load N >= 16 floats.
struct PaddedLevels {
  HWY_ALIGN float v[HWY_MAX_BYTES / sizeof(float) > 16 ? HWY_MAX_BYTES / sizeof(float) : 16] = {};
  explicit PaddedLevels(const float* levels) { std::copy(levels, levels + 16, v); }
};

// NF4 / FP4 blocks | absmax:f32 | qs:u8[32] |, bitsandbytes' nibble order: element 2j in the high
// nibble of byte j, so vector 0 is the high nibbles and vector 1 the low ones.
template <const float* kLevels>
struct Nf4Codec {
  static constexpr int kK = 2;
  static constexpr int kCodeBits = 4;
  static constexpr bool kRowScaled = false;
  using D = hn::CappedTag<float, size_t(kNF4BlockSize / kK)>;

  static NativeRow Parse(const void* row) { return {static_cast<const uint8_t*>(row)}; }
  static size_t UnitsPerGroup(size_t unit) { return size_t(kNF4BlockSize) / unit; }
  HWY_INLINE static NativeGroup Group(const NativeRow& r, size_t u) {
    const auto& b =
        reinterpret_cast<const BlockNF4*>(r.codes)[u * kK * hn::Lanes(D()) / kNF4BlockSize];
    return {b.qs, b.absmax};
  }
  HWY_INLINE static void Unit(D d, const NativeGroup& g, size_t u, hn::Vec<D>* w) {
    const size_t first = (u * kK * hn::Lanes(d)) % kNF4BlockSize;
    const auto bytes = LoadBytes32(d, g.codes + first / 2);
    const auto s = hn::Set(d, g.d);
    const hn::RebindToSigned<D> di;
    static const PaddedLevels levels(kLevels);
    w[0] = hn::Mul(Lookup16(d, levels.v, hn::ShiftRight<4>(bytes)), s);
    w[1] = hn::Mul(Lookup16(d, levels.v, hn::And(bytes, hn::Set(di, 15))), s);
  }
};

// FP8_E4M3 / FP8_E5M2 (and their _T forms): | d:f32 | codes:u8 |, x = d * fp8(code). The f32 bits
// of a normal fp8 value are its exponent and mantissa shifted into place plus the exponent bias
// difference (E4M3: 127 - 7 = 120, E5M2: 127 - 15 = 112); subnormals are m * 2^-9 (E4M3) and
// m * 2^-16 (E5M2), exact in f32. E4M3 has one NaN per sign (0x7f); E5M2 has Inf (0x7c) and NaNs
// (0x7d-0x7f), all kept with their sign as E4M3ToF32 / E5M2ToF32 return them.
template <bool kE5M2>
struct Fp8Codec {
  static constexpr int kK = 1;
  static constexpr int kCodeBits = 8;
  static constexpr bool kRowScaled = true;
  using D = hn::ScalableTag<float>;

  static NativeRow Parse(const void* row) { return Int8Codec::Parse(row); }
  static size_t UnitsPerGroup(size_t) { return kWholeRow; }
  HWY_INLINE static NativeGroup Group(const NativeRow& r, size_t) { return {r.codes, r.d}; }
  HWY_INLINE static void Unit(D d, const NativeGroup& g, size_t u, hn::Vec<D>* w) {
    const hn::RebindToSigned<D> di;
    const auto code = LoadBytes32(d, g.codes + u * hn::Lanes(d));
    const auto mag = hn::And(code, hn::Set(di, 0x7f));
    const auto sign = hn::BitCast(d, hn::ShiftLeft<24>(hn::And(code, hn::Set(di, 0x80))));
    constexpr int kMant = kE5M2 ? 2 : 3;
    const auto normal = hn::BitCast(
        d, hn::Add(hn::ShiftLeft<23 - kMant>(mag), hn::Set(di, (kE5M2 ? 112 : 120) << 23)));
    const auto sub = hn::Mul(hn::ConvertTo(d, mag), hn::Set(d, kE5M2 ? 0x1p-16f : 0x1p-9f));
    auto v = hn::IfThenElse(hn::RebindMask(d, mag < hn::Set(di, 1 << kMant)), sub, normal);
    const auto nan = hn::BitCast(d, hn::Set(di, 0x7fc00000));
    if constexpr (kE5M2) {
      v = hn::IfThenElse(hn::RebindMask(d, mag == hn::Set(di, 0x7c)),
                         hn::BitCast(d, hn::Set(di, 0x7f800000)), v);
      v = hn::IfThenElse(hn::RebindMask(d, hn::Set(di, 0x7c) < mag), nan, v);
    } else {
      v = hn::IfThenElse(hn::RebindMask(d, mag == hn::Set(di, 0x7f)), nan, v);
    }
    w[0] = hn::Mul(hn::Or(v, sign), hn::Set(d, g.d));
  }
};

}  // namespace qforge::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // QFORGE_KERNELS_NATIVE_DEQUANT_INL_H_
