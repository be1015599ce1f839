// AWQ GEMM packing (awq_layout.h) against a small example worked out by hand from AutoAWQ's
// WQLinear_GEMM.from_linear (order_map [0, 2, 4, 6, 1, 3, 5, 7]); exact round trips of INT4 group
// types; bad input.
#include "qforge/io/awq_layout.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "qforge/core/error.h"
#include "qforge/core/half.h"
#include "qforge/core/qblocks_native.h"

namespace qforge::io {
namespace {

IntWeights Blank(int64_t out, int64_t in, int64_t group) {
  IntWeights w;
  w.bits = 4;
  w.out = out;
  w.in = in;
  w.group = group;
  w.codes.assign(size_t(out * in), 0);
  w.zeros.assign(size_t(out * w.groups()), 8);
  w.scales.assign(size_t(out * w.groups()), F32ToF16(1.0f));
  return w;
}

uint32_t U(int32_t v) { return uint32_t(v); }

struct Raw {
  std::map<std::string, StRawTensor> map;
  AwqWeight a;
  explicit Raw(AwqWeight aw) : a(std::move(aw)) {
    auto add = [&](const char* part, const char* dtype, std::vector<int64_t> shape,
                   const void* data, size_t bytes) {
      map["L." + std::string(part)] = {"L." + std::string(part),
                                       dtype,
                                       std::move(shape),
                                       {static_cast<const std::byte*>(data), bytes}};
    };
    add("qweight", "I32", {a.in, a.out / 8}, a.qweight.data(), a.qweight.size() * 4);
    add("qzeros", "I32", {a.groups, a.out / 8}, a.qzeros.data(), a.qzeros.size() * 4);
    add("scales", "F16", {a.groups, a.out}, a.scales.data(), a.scales.size() * 2);
  }
};

TEST(AwqLayout, HandExampleInterleavesOutputs) {
  // [out 8, in 2], one group of 2. Input 0 has code o at output o; input 1 has 15 - o.
  IntWeights w = Blank(8, 2, 2);
  for (int o = 0; o < 8; ++o) {
    w.codes[size_t(o * 2 + 0)] = uint8_t(o);
    w.codes[size_t(o * 2 + 1)] = uint8_t(15 - o);
    w.zeros[size_t(o)] = o + 1;
  }
  const AwqWeight a = PackAwq(w, "t");
  ASSERT_EQ(a.qweight.size(), 2u);  // [in 2, out / 8 = 1]
  // Nibble k (bits 4k..4k+3) holds output order[k] = 0,2,4,6,1,3,5,7, so input 0's nibbles
  // from the bottom are 0,2,4,6,1,3,5,7: 0x75316420.
  EXPECT_EQ(U(a.qweight[0]), 0x75316420u);
  // Input 1: 15 - order[k] = 15,13,11,9,14,12,10,8 from the bottom: 0x8ACE9BDF.
  EXPECT_EQ(U(a.qweight[1]), 0x8ACE9BDFu);
  // Zeros as they are (no minus one): order[k] + 1 = 1,3,5,7,2,4,6,8: 0x86427531.
  ASSERT_EQ(a.qzeros.size(), 1u);
  EXPECT_EQ(U(a.qzeros[0]), 0x86427531u);
}

TEST(AwqLayout, Int4GroupTypesRoundTripBitExact) {
  std::mt19937 rng(3);
  std::normal_distribution<float> dist(0.0f, 0.02f);
  for (QType type :
       {QType::kINT4_G128_Z, QType::kINT4_G32_Z, QType::kINT4_G64, QType::kINT4_G128}) {
    const int64_t out = 48, in = 256;
    std::vector<float> x(size_t(out * in));
    for (float& v : x) v = dist(rng);
    std::vector<std::byte> buf(RowBytes(type, in) * size_t(out));
    QuantizeTensor(type, x.data(), out, in, buf.data());
    const TensorView t{"blk.0.ffn_up.weight", type, {out, in}, buf.data(), buf.size()};
    Raw raw(PackAwq(IntWeightsFromTensor(t), t.name));
    const IntWeights back = UnpackAwq(raw.map, "L", 4, IntTypeOf(type)->group, "f");
    std::shared_ptr<const void> owner;
    bool exact = false;
    const TensorView r = TensorFromIntWeights(back, owner, exact);
    EXPECT_TRUE(exact);
    EXPECT_EQ(r.type, type) << Traits(type).name;  // symmetric: every zero 8 reads back as INT4_Gg
    ASSERT_EQ(r.nbytes, t.nbytes);
    EXPECT_EQ(std::memcmp(r.data, t.data, t.nbytes), 0) << Traits(type).name;
  }
}

TEST(AwqLayout, BadInputIsNamed) {
  IntWeights w3 = Blank(8, 32, 32);
  w3.bits = 3;
  EXPECT_THROW(PackAwq(w3, "t"), Error);
  try {
    PackAwq(Blank(4, 32, 32), "blk.1.attn_k.weight");  // 4 outputs: not a whole word
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("blk.1.attn_k.weight"), std::string::npos);
  }
  Raw raw(PackAwq(Blank(8, 64, 32), "t"));
  EXPECT_EQ(UnpackAwq(raw.map, "L", 4, 32, "f").groups(), 2);
  EXPECT_THROW(UnpackAwq(raw.map, "L", 8, 32, "f"), Error);  // bits
  EXPECT_THROW(UnpackAwq(raw.map, "L", 4, 48, "f"), Error);  // group does not divide 64
  EXPECT_THROW(UnpackAwq(raw.map, "L", 4, 64, "f"), Error);  // scales have 2 groups, not 1
  raw.map["L.qzeros"].dtype = "F32";
  try {
    UnpackAwq(raw.map, "L", 4, 32, "f");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'L.qzeros' is F32"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace qforge::io
