// Bit-exactness of the k-quants and IQ4_NL against llama.cpp: requantizing the test bed's F32
// tensors with qforge's quantize_row reproduces the blocks llama-quantize wrote into the k-quant
// files of reference/testbed/llamacpp/ (Q6_K, Q5_K_M, ..., IQ4_NL.gguf).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "qforge/core/qtype.h"
#include "qforge/io/load_checkpoint.h"
#include "support/paths.h"

namespace qforge {
namespace {

bool IsKQuantOrIQ4NL(QType t) {
  return t == QType::kQ2_K || t == QType::kQ3_K || t == QType::kQ4_K || t == QType::kQ5_K ||
         t == QType::kQ6_K || t == QType::kIQ4_NL;
}

struct Count {
  int tensors = 0;
  int64_t blocks = 0;
};

class LlamaCppKQuants : public ::testing::TestWithParam<const char*> {};

// llama-quantize mixes types inside one file (the _M/_S rules give some tensors a higher k-quant,
// Q2_K's token embedding is Q4_K, ...), so every tensor stored in a k-quant or IQ4_NL type is
// checked against its own type; legacy and float tensors are covered by llamacpp_blocks_test.cc.
// Without an importance matrix llama-quantize calls ggml's reference quantizers, which qforge
// reproduces operation for operation, so the bytes must be identical.
TEST_P(LlamaCppKQuants, RequantizedTensorsAreBitIdentical) {
  const std::string dir = test::Shared("reference/testbed/llamacpp/");
  const Checkpoint f32 = io::LoadCheckpoint(dir + "F32.gguf");
  const Checkpoint quant = io::LoadCheckpoint(dir + GetParam() + ".gguf");
  std::map<std::string_view, Count> counts;
  for (const TensorView& q : quant.tensors) {
    if (!IsKQuantOrIQ4NL(q.type)) continue;
    const QTypeTraits& t = Traits(q.type);
    const TensorView& src = f32.Get(q.name);
    ASSERT_EQ(src.type, QType::kF32) << q.name;
    ASSERT_EQ(src.shape, q.shape) << q.name;
    const size_t row_bytes = q.RowStride();
    std::vector<std::byte> row(row_bytes);
    int64_t differing_blocks = 0;
    for (int64_t r = 0; r < src.Rows(); ++r) {
      t.quantize_row(reinterpret_cast<const float*>(src.Row(r)), row.data(), src.Cols());
      for (size_t b = 0; b < row_bytes; b += t.block_bytes)
        differing_blocks += std::memcmp(row.data() + b, q.Row(r) + b, t.block_bytes) != 0;
    }
    const int64_t blocks = q.NumElements() / t.block_size;
    EXPECT_EQ(differing_blocks, 0)
        << GetParam() << " " << q.name << " (" << t.name << "): blocks differing of " << blocks;
    counts[t.name].tensors += 1;
    counts[t.name].blocks += blocks;
  }
  for (const auto& [name, c] : counts)
    std::printf("%s: %.*s %d tensors, %lld blocks compared bit for bit\n", GetParam(),
                int(name.size()), name.data(), c.tensors, (long long)c.blocks);
  EXPECT_FALSE(counts.empty());
}

INSTANTIATE_TEST_SUITE_P(Files, LlamaCppKQuants,
                         ::testing::Values("Q6_K", "Q5_K_M", "Q4_K_M", "Q4_K_S", "Q3_K_M", "Q2_K",
                                           "IQ4_NL"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace qforge
