// The same weights read from every format give the same logits: llama2.c, the GGUF llama.cpp
// wrote, the GGUF qforge writes (F32), and Hugging Face safetensors (rotate-half RoPE, q/k rows
// permuted). Differences can only come from summation order, hence 1e-5 on logits of O(10).
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>

#include "qforge/io/gguf_checkpoint.h"
#include "qforge/io/gguf_writer.h"
#include "qforge/io/load_checkpoint.h"
#include "qforge/model/llama_model.h"
#include "support/reference.h"

namespace qforge {
namespace {
namespace fs = std::filesystem;

constexpr double kSameWeightsTolerance = 1e-5;

std::vector<float> Logits(const Checkpoint& ckpt, const std::vector<int>& tokens) {
  ThreadPool pool(2);
  model::LlamaModel m(ckpt, pool);
  model::KvCache cache = m.NewCache(int(tokens.size()));
  std::vector<float> logits(tokens.size() * size_t(ckpt.config.vocab_size));
  m.Forward(tokens, 0, cache, 0, logits.data());
  return logits;
}

std::string WriteQforgeGguf(const Checkpoint& src, const std::string& name,
                            QType type = QType::kF32) {
  const std::string out =
      (fs::temp_directory_path() / (name + "-" + std::to_string(::getpid()) + ".gguf")).string();
  io::GgufWriteOptions options;
  options.matrix_type = type;
  Vocab vocab;  // a minimal vocabulary: the logits do not depend on it
  for (int i = 0; i < src.config.vocab_size; ++i) {
    // Not "t" + std::to_string(i): GCC 12 warns about it (-Wrestrict false positive).
    vocab.tokens.push_back(std::string("t").append(std::to_string(i)));
    vocab.scores.push_back(0);
    vocab.types.push_back(TokenType::kNormal);
  }
  io::WriteGgufCheckpoint(src, vocab, out, options);
  return out;
}

TEST(Formats, TestbedSameLogitsFromLlama2cHfAndQforgeGguf) {
  const auto ref = test::ReadJson(test::Shared("reference/testbed/logits.json"));
  const std::vector<int> tokens = ref["tokens"].get<std::vector<int>>();
  const Checkpoint llama2c = io::LoadCheckpoint(test::Shared("models/testbed/testbed.bin"));
  const Checkpoint hf = io::LoadCheckpoint(test::Shared("models/testbed/hf"));
  const Checkpoint llamacpp =
      io::LoadCheckpoint(test::Shared("reference/testbed/llamacpp/F32.gguf"));
  const std::string from_hf = WriteQforgeGguf(hf, "testbed-from-hf");
  const Checkpoint qforge_gguf = io::LoadCheckpoint(from_hf);
  EXPECT_EQ(qforge_gguf.config.rope_style,
            RopeStyle::kAdjacentPairs);  // q/k permuted back on write
  const auto base = Logits(llama2c, tokens);
  EXPECT_LE(test::MaxAbsDiff(Logits(hf, tokens), base), kSameWeightsTolerance);
  EXPECT_LE(test::MaxAbsDiff(Logits(llamacpp, tokens), base), kSameWeightsTolerance);
  EXPECT_LE(test::MaxAbsDiff(Logits(qforge_gguf, tokens), base), kSameWeightsTolerance);
  fs::remove(from_hf);
}

TEST(Formats, Stories260KSameLogitsFromLlama2cAndBothGgufs) {
  const auto ref = test::ReadJson(test::Shared("reference/stories260K/logits.json"));
  const std::vector<int> tokens = ref["tokens"].get<std::vector<int>>();
  const Checkpoint llama2c = io::LoadCheckpoint(test::Shared("models/stories260K/stories260K.bin"));
  const Checkpoint llamacpp =
      io::LoadCheckpoint(test::Shared("reference/stories260K/llamacpp/stories260K-f32.gguf"));
  const std::string path = WriteQforgeGguf(llama2c, "stories260K");
  const Checkpoint qforge_gguf = io::LoadCheckpoint(path);
  const auto base = Logits(llama2c, tokens);
  EXPECT_LE(test::MaxAbsDiff(Logits(llamacpp, tokens), base), kSameWeightsTolerance);
  EXPECT_LE(test::MaxAbsDiff(Logits(qforge_gguf, tokens), base), kSameWeightsTolerance);
  fs::remove(path);
}

TEST(Formats, HalfPrecisionGgufStaysCloseToReference) {
  // F16 rounds each weight by at most 2^-11 relative (4.9e-4), BF16 by 2^-8 (3.9e-3). Logits are
  // O(10), so relative weight errors of u move them by about 10u; the bound allows 4x that
  // (F16: 0.02, BF16: 0.16). Measured: 0.0039 and 0.041.
  const auto ref = test::ReadJson(test::Shared("reference/testbed/logits.json"));
  const std::vector<int> tokens = ref["tokens"].get<std::vector<int>>();
  const std::vector<float> expected = test::ReadF32(test::Shared("reference/testbed/logits.f32"));
  const Checkpoint src = io::LoadCheckpoint(test::Shared("models/testbed/testbed.bin"));
  for (auto [type, bound] : {std::pair{QType::kF16, 0.02}, std::pair{QType::kBF16, 0.16}}) {
    const std::string path =
        WriteQforgeGguf(src, std::string("testbed-") + std::string(Traits(type).name), type);
    const Checkpoint half = io::LoadCheckpoint(path);
    EXPECT_EQ(half.Get("blk.0.attn_q.weight").type, type);
    EXPECT_EQ(half.Get("blk.0.attn_norm.weight").type, QType::kF32);  // norms stay F32
    const double diff = test::MaxAbsDiff(Logits(half, tokens), expected);
    std::cout << Traits(type).name << ": max |logit - reference| = " << diff << "\n";
    EXPECT_LE(diff, bound) << Traits(type).name;
    EXPECT_GT(diff, 0.0) << "the weights were actually rounded";
    fs::remove(path);
  }
}

}  // namespace
}  // namespace qforge
