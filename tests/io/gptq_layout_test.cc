// GPTQ v1 packing (gptq_layout.h) against small examples worked out by hand from AutoGPTQ's pack
// (qlinear_cuda_old.py): every expected int32 word below is derived in its comment. Then exact
// round trips of qforge's INT types through the layout, act-order g_idx, and bad input.
#include "qforge/io/gptq_layout.h"

#include <gtest/gtest.h>

#include <cstring>
#include <numeric>
#include <random>

#include "qforge/core/error.h"
#include "qforge/core/half.h"
#include "qforge/core/qblocks_native.h"

namespace qforge::io {
namespace {

// An IntWeights of [out, in] with all codes 0, zeros `z`, scales 1.0 and one group of `group`.
IntWeights Blank(int bits, int64_t out, int64_t in, int64_t group, int32_t z) {
  IntWeights w;
  w.bits = bits;
  w.out = out;
  w.in = in;
  w.group = group;
  w.codes.assign(size_t(out * in), 0);
  w.zeros.assign(size_t(out * w.groups()), z);
  w.scales.assign(size_t(out * w.groups()), F32ToF16(1.0f));
  return w;
}

uint32_t U(int32_t v) { return uint32_t(v); }

// The packed tensors as a checkpoint's name -> raw tensor map (the reader's input).
struct Raw {
  std::map<std::string, StRawTensor> map;
  GptqWeight g;
  explicit Raw(GptqWeight gw, int bits) : g(std::move(gw)) {
    auto add = [&](const char* part, const char* dtype, std::vector<int64_t> shape,
                   const void* data, size_t bytes) {
      map["L." + std::string(part)] = {"L." + std::string(part),
                                       dtype,
                                       std::move(shape),
                                       {static_cast<const std::byte*>(data), bytes}};
    };
    add("qweight", "I32", {g.in * bits / 32, g.out}, g.qweight.data(), g.qweight.size() * 4);
    add("qzeros", "I32", {g.groups, g.out * bits / 32}, g.qzeros.data(), g.qzeros.size() * 4);
    add("scales", "F16", {g.groups, g.out}, g.scales.data(), g.scales.size() * 2);
    add("g_idx", "I32", {g.in}, g.g_idx.data(), g.g_idx.size() * 4);
  }
};

TEST(GptqLayout, FourBitHandExample) {
  // [out 8, in 8], one group. Row 0 codes 0..7, row 1 codes 15..8, the rest 0.
  IntWeights w = Blank(4, 8, 8, 8, 8);
  for (int i = 0; i < 8; ++i) {
    w.codes[size_t(i)] = uint8_t(i);
    w.codes[size_t(8 + i)] = uint8_t(15 - i);
  }
  for (int o = 0; o < 8; ++o) w.zeros[size_t(o)] = o + 1;  // stored as o (zero - 1)
  const GptqWeight g = PackGptq(w, "t");
  ASSERT_EQ(g.qweight.size(), 8u);  // [8 * 4 / 32 = 1, 8]
  // Column 0: input i at bits 4i -> nibbles 0,1,...,7 from the bottom = 0x76543210.
  EXPECT_EQ(U(g.qweight[0]), 0x76543210u);
  // Column 1: nibbles 15,14,...,8 from the bottom = 0x89ABCDEF.
  EXPECT_EQ(U(g.qweight[1]), 0x89ABCDEFu);
  for (int o = 2; o < 8; ++o) EXPECT_EQ(g.qweight[size_t(o)], 0);
  // qzeros [1, 8 * 4 / 32 = 1]: output o's zero - 1 = o at bits 4o -> 0x76543210.
  ASSERT_EQ(g.qzeros.size(), 1u);
  EXPECT_EQ(U(g.qzeros[0]), 0x76543210u);
  EXPECT_EQ(g.g_idx, std::vector<int32_t>(8, 0));
}

TEST(GptqLayout, ThreeBitCodesStraddleWords) {
  // [out 32, in 32]: 32 three-bit codes of a column fill 3 words (96 bits). Column 0 has
  // code 7 at input 0, 5 (0b101) at input 10, 6 (0b110) at input 21, 3 at input 31.
  IntWeights w = Blank(3, 32, 32, 32, 1);
  w.codes[0] = 7;
  w.codes[10] = 5;
  w.codes[21] = 6;
  w.codes[31] = 3;
  // Zeros (stored minus one): 6 at output 10 (stores 5), 7 at output 21 (stores 6), else 1 (0).
  w.zeros[10] = 6;
  w.zeros[21] = 7;
  const GptqWeight g = PackGptq(w, "t");
  ASSERT_EQ(g.qweight.size(), size_t(3 * 32));
  // Word 0 (row 0, column 0): input 0 at bits 0-2 = 7; input 10 starts at bit 30, its low two
  // bits 0b01 at bits 30-31 = 0x40000000. Total 0x40000007.
  EXPECT_EQ(U(g.qweight[0 * 32]), 0x40000007u);
  // Word 1: bit 0 = bit 2 of input 10 (1); input 21 starts at bit 63 = word 1 bit 31 with its
  // low bit (0). Total 0x00000001.
  EXPECT_EQ(U(g.qweight[1 * 32]), 0x00000001u);
  // Word 2: bits 0-1 = the high bits 0b11 of input 21 = 3; input 31 at bit 93 = word 2 bits
  // 29-31: 3 << 29 = 0x60000000. Total 0x60000003.
  EXPECT_EQ(U(g.qweight[2 * 32]), 0x60000003u);
  for (int k = 0; k < 3; ++k)
    for (int o = 1; o < 32; ++o) EXPECT_EQ(g.qweight[size_t(k * 32 + o)], 0) << k << " " << o;
  // qzeros row: the same bit stream along the outputs: 5 at output 10 -> 0x40000000 | (1 in
  // word 1), 6 at output 21 -> word 1 bit 31 = 0, word 2 bits 0-1 = 0b11.
  ASSERT_EQ(g.qzeros.size(), 3u);
  EXPECT_EQ(U(g.qzeros[0]), 0x40000000u);
  EXPECT_EQ(U(g.qzeros[1]), 0x00000001u);
  EXPECT_EQ(U(g.qzeros[2]), 0x00000003u);
}

TEST(GptqLayout, TwoAndEightBitHandExamples) {
  // 2 bits, [out 16, in 16]: row 0 codes i % 4 -> each byte 0b11'10'01'00 = 0xE4.
  IntWeights w2 = Blank(2, 16, 16, 16, 2);
  for (int i = 0; i < 16; ++i) w2.codes[size_t(i)] = uint8_t(i % 4);
  const GptqWeight g2 = PackGptq(w2, "t");
  EXPECT_EQ(U(g2.qweight[0]), 0xE4E4E4E4u);
  // Symmetric 2-bit zero 2 stores 1 in every 2-bit field: 0b01 repeated = 0x55555555.
  EXPECT_EQ(U(g2.qzeros[0]), 0x55555555u);
  // 8 bits, [out 4, in 4]: row 0 codes 1, 2, 3, 4 -> bytes from the bottom = 0x04030201;
  // symmetric zero 128 stores 127 = 0x7F in each byte.
  IntWeights w8 = Blank(8, 4, 4, 4, 128);
  for (int i = 0; i < 4; ++i) w8.codes[size_t(i)] = uint8_t(i + 1);
  const GptqWeight g8 = PackGptq(w8, "t");
  EXPECT_EQ(U(g8.qweight[0]), 0x04030201u);
  EXPECT_EQ(U(g8.qzeros[0]), 0x7F7F7F7Fu);
}

TEST(GptqLayout, ScalesAreTransposedToGroupsByOutputs) {
  IntWeights w = Blank(4, 8, 64, 32, 8);  // 2 groups
  for (int o = 0; o < 8; ++o)
    for (int k = 0; k < 2; ++k) w.scales[size_t(o * 2 + k)] = F32ToF16(float(o) + 0.5f * k);
  const GptqWeight g = PackGptq(w, "t");
  ASSERT_EQ(g.scales.size(), 16u);
  EXPECT_EQ(F16ToF32(g.scales[1 * 8 + 3]), 3.5f);  // group 1, output 3
  EXPECT_EQ(g.g_idx[31], 0);
  EXPECT_EQ(g.g_idx[32], 1);
}

// Random [out, in] weights quantized to `type` by the core codec.
TensorView Quantized(QType type, int64_t out, int64_t in, std::vector<std::byte>& buf) {
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 0.02f);
  std::vector<float> x(size_t(out * in));
  for (float& v : x) v = dist(rng);
  buf.resize(RowBytes(type, in) * size_t(out));
  QuantizeTensor(type, x.data(), out, in, buf.data());
  return {"blk.0.ffn_up.weight", type, {out, in}, buf.data(), buf.size()};
}

TEST(GptqLayout, GroupTypesRoundTripBitExact) {
  for (QType type : {QType::kINT4_G128, QType::kINT4_G128_Z, QType::kINT4_G32, QType::kINT3_G32,
                     QType::kINT3_G64_Z, QType::kINT2_G64_Z, QType::kINT2_G128}) {
    std::vector<std::byte> buf;
    const TensorView t = Quantized(type, 64, 256, buf);
    const int bits = IntTypeOf(type)->bits;
    Raw raw(PackGptq(IntWeightsFromTensor(t), t.name), bits);
    const IntWeights back = UnpackGptq(raw.map, "L", bits, IntTypeOf(type)->group, "f");
    std::shared_ptr<const void> owner;
    bool exact = false;
    const TensorView r = TensorFromIntWeights(back, owner, exact);
    EXPECT_TRUE(exact) << Traits(type).name;
    EXPECT_EQ(r.type, type) << Traits(type).name;
    ASSERT_EQ(r.nbytes, t.nbytes);
    EXPECT_EQ(std::memcmp(r.data, t.data, t.nbytes), 0) << Traits(type).name;
  }
}

// Per-row types keep codes and zeros; only the f32 scale becomes the nearest f16.
TEST(GptqLayout, PerRowTypesRoundTripWithF16Scales) {
  for (QType type : {QType::kINT8, QType::kINT4_ROW, QType::kINT4_ROW_Z, QType::kINT2_ROW}) {
    std::vector<std::byte> buf;
    const TensorView t = Quantized(type, 32, 128, buf);
    const IntWeights w = IntWeightsFromTensor(t);
    EXPECT_TRUE(w.scales_rounded) << Traits(type).name;
    const int bits = w.bits;
    Raw raw(PackGptq(w, t.name), bits);
    const IntWeights back = UnpackGptq(raw.map, "L", bits, -1, "f");
    std::shared_ptr<const void> owner;
    bool exact = false;
    const TensorView r = TensorFromIntWeights(back, owner, exact);
    ASSERT_EQ(r.type, type) << Traits(type).name;
    std::vector<float> a(128), b(128);
    for (int64_t row = 0; row < 32; ++row) {
      Traits(type).dequantize_row(t.Row(row), a.data(), 128);
      Traits(r.type).dequantize_row(r.Row(row), b.data(), 128);
      // Each value is d * k with an integer k; only d changed, by f16 rounding (2^-11 relative).
      for (int i = 0; i < 128; ++i)
        EXPECT_NEAR(b[size_t(i)], a[size_t(i)], std::fabs(a[size_t(i)]) * 0x1p-11f + 1e-12f);
    }
  }
}

// Act-order (g_idx a permutation of the groups, from other tools) has no qforge group type: the
// tensor is dequantized exactly by W = scale[g_idx[i]] * (q - zero[g_idx[i]]).
TEST(GptqLayout, ActOrderDequantizesExactlyToF32) {
  IntWeights w = Blank(4, 8, 64, 32, 8);
  for (size_t k = 0; k < w.codes.size(); ++k) w.codes[k] = uint8_t(k * 7 % 16);
  w.zeros = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  for (int o = 0; o < 8; ++o) {
    w.scales[size_t(2 * o)] = F32ToF16(0.25f);
    w.scales[size_t(2 * o + 1)] = F32ToF16(-0.5f);
  }
  Raw raw(PackGptq(w, "t"), 4);
  for (int i = 0; i < 64; ++i) raw.g.g_idx[size_t(i)] = i % 2;  // alternating groups
  const IntWeights back = UnpackGptq(raw.map, "L", 4, 32, "f");
  std::shared_ptr<const void> owner;
  bool exact = true;
  const TensorView r = TensorFromIntWeights(back, owner, exact);
  EXPECT_FALSE(exact);
  ASSERT_EQ(r.type, QType::kF32);
  const float* v = reinterpret_cast<const float*>(r.data);
  for (int o = 0; o < 8; ++o)
    for (int i = 0; i < 64; ++i) {
      const int g = i % 2;
      const float expect = (g == 0 ? 0.25f : -0.5f) *
                           float(int(w.codes[size_t(o * 64 + i)]) - w.zeros[size_t(o * 2 + g)]);
      EXPECT_EQ(v[o * 64 + i], expect) << o << " " << i;
    }
}

TEST(GptqLayout, BadInputIsNamed) {
  IntWeights w = Blank(4, 8, 8, 8, 8);
  w.zeros[3] = 0;  // v1 cannot store zero 0
  try {
    PackGptq(w, "blk.0.attn_q.weight");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("blk.0.attn_q.weight' row 3 group 0: zero point 0"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(PackGptq(Blank(4, 4, 8, 8, 8), "t"), Error);  // 4 outputs * 4 bits < 32
  w.zeros[3] = 8;
  Raw raw(PackGptq(w, "t"), 4);
  EXPECT_THROW(UnpackGptq(raw.map, "L", 5, 8, "f"), Error);  // bits
  raw.g.g_idx[2] = 1;                                        // one group only
  try {
    UnpackGptq(raw.map, "L", 4, 8, "f");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("L.g_idx'[2] = 1"), std::string::npos) << e.what();
  }
  raw.g.g_idx[2] = 0;
  raw.map["L.scales"].shape = {2, 4};
  try {
    UnpackGptq(raw.map, "L", 4, 8, "f");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'L.scales' is F16 [2, 4], expected F16 [1, 8]"),
              std::string::npos)
        << e.what();
  }
  raw.map.erase("L.qzeros");
  EXPECT_THROW(UnpackGptq(raw.map, "L", 4, 8, "f"), Error);
}

}  // namespace
}  // namespace qforge::io
