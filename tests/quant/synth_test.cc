// quant/synth: the noise has the stated scale and depends only on (seed, tensor, row); the written
// GGUF has the same bytes at any thread count, loads back with the shape's tensors and runs.
#include "qforge/quant/synth.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>

#include "qforge/core/error.h"
#include "qforge/io/load_checkpoint.h"
#include "qforge/model/llama_model.h"
#include "support/temp_dir.h"

namespace qforge::quant {
namespace {
using ::testing::HasSubstr;

// A small shape (rows a multiple of 256, so every k-quant applies) and a vocabulary of made-up
// pieces: the library test needs no tokenizer; tests/cli checks the real Llama 2 one.
ModelConfig TinyConfig() {
  SynthShape s{"tiny", "test", 256, 512, 2, 4, 2, 64, 10000.0f, false};
  return SynthConfig(s, 300);
}
Vocab TinyVocab(int n) {
  Vocab v;
  for (int i = 0; i < n; ++i) {
    v.tokens.push_back(i < 3 ? std::vector<std::string>{"<unk>", "<s>", "</s>"}[size_t(i)]
                             : "t" + std::to_string(i));
    v.scores.push_back(-float(i));
    v.types.push_back(i < 3 ? TokenType::kControl : TokenType::kNormal);
  }
  return v;
}

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

TEST(SynthRow, SameInputsSameValuesAndTheStatedSigma) {
  const int64_t n = 65536;
  std::vector<float> a(n), b(n), c(n);
  const SynthScale scale{false, 0.02f};
  SynthRow(7, "blk.0.attn_q.weight", 3, scale, a.data(), n);
  SynthRow(7, "blk.0.attn_q.weight", 3, scale, b.data(), n);
  EXPECT_EQ(a, b);
  SynthRow(8, "blk.0.attn_q.weight", 3, scale, c.data(), n);
  EXPECT_NE(a, c);
  SynthRow(7, "blk.0.attn_q.weight", 4, scale, c.data(), n);
  EXPECT_NE(a, c);
  double sum = 0, sq = 0;
  for (float x : a) sum += x, sq += double(x) * x;
  const double mean = sum / n, sd = std::sqrt(sq / n - mean * mean);
  // The sample standard deviation of n normals has a spread of sigma / sqrt(2n) (0.28% here) and
  // the mean one of sigma / sqrt(n) (0.39%): 5 of those spreads are 1.4% and 2%.
  EXPECT_NEAR(sd, 0.02, 0.02 * 5 / std::sqrt(2.0 * n));
  EXPECT_NEAR(mean, 0.0, 0.02 * 5 / std::sqrt(double(n)));
}

TEST(SynthScale, FollowsTheTableByTensorKind) {
  const ModelConfig c = TinyConfig();
  EXPECT_TRUE(SynthScaleFor("blk.1.ffn_norm.weight", c).is_norm);
  EXPECT_FLOAT_EQ(SynthScaleFor("token_embd.weight", c).value, 0.02f);
  EXPECT_FLOAT_EQ(SynthScaleFor("blk.0.attn_q.weight", c).value, 0.60f / 16.0f);  // 1/sqrt(256)
  EXPECT_FLOAT_EQ(SynthScaleFor("blk.0.ffn_down.weight", c).value,
                  0.97f / std::sqrt(512.0f));  // fan-in: hidden_dim
}

TEST(SynthShapes, UnknownNameListsTheKnownOnes) {
  EXPECT_EQ(FindSynthShape("llama-7b").dim, 4096);
  try {
    FindSynthShape("llama-70b");
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("llama-1b, llama-3b, llama-7b, testbed"));
  }
}

class SynthGguf : public test::TempDirTest {};

TEST_F(SynthGguf, SameBytesAtOneAndTwoThreadsAndLoadsBack) {
  const ModelConfig c = TinyConfig();
  SynthOptions o;
  o.seed = 42;
  o.recipe = "Q4_K_M";  // k-quants, Q6_K and Q4_K mixed by the recipe's rules
  o.shape_name = "tiny";
  ThreadPool one(1), two(2);
  WriteSynthGguf(c, TinyVocab(c.vocab_size), Path("a.gguf"), o, one);
  WriteSynthGguf(c, TinyVocab(c.vocab_size), Path("b.gguf"), o, two);
  EXPECT_EQ(ReadAll(Path("a.gguf")), ReadAll(Path("b.gguf")));
  o.seed = 43;
  WriteSynthGguf(c, TinyVocab(c.vocab_size), Path("c.gguf"), o, two);
  EXPECT_NE(ReadAll(Path("a.gguf")), ReadAll(Path("c.gguf")));

  const Checkpoint ckpt = io::LoadCheckpoint(Path("a.gguf"));
  EXPECT_EQ(ckpt.config.dim, 256);
  EXPECT_EQ(ckpt.config.hidden_dim, 512);
  EXPECT_EQ(ckpt.config.n_layers, 2);
  EXPECT_EQ(ckpt.config.n_kv_heads, 2);
  EXPECT_EQ(ckpt.config.vocab_size, 300);
  EXPECT_FALSE(ckpt.config.tied_embeddings);
  ASSERT_EQ(ckpt.tensors.size(), 3u + 9u * 2);  // embedding, output norm, output, 9 per layer
  EXPECT_EQ(ckpt.Get("blk.1.attn_k.weight").shape, (std::vector<int64_t>{128, 256}));
  EXPECT_EQ(ckpt.Get("blk.1.ffn_down.weight").shape, (std::vector<int64_t>{256, 512}));
  EXPECT_EQ(ckpt.Get("blk.0.ffn_up.weight").type, QType::kQ4_K);
  EXPECT_EQ(ckpt.Get("output_norm.weight").type, QType::kF32);
  ASSERT_TRUE(ckpt.vocab.has_value());
  EXPECT_EQ(ckpt.vocab->tokens[5], "t5");
  EXPECT_EQ(ckpt.metadata.at("qforge.synth.seed"), "42");

  // It runs: unit-scale weights keep the logits finite.
  ThreadPool pool(1);
  model::LlamaModel m(ckpt, pool);
  model::KvCache cache = m.NewCache(4);
  std::vector<float> logits(300);
  const int tokens[] = {1, 17, 250, 3};
  m.Forward(tokens, 0, cache, 3, logits.data());
  for (float x : logits) ASSERT_TRUE(std::isfinite(x));
}

TEST_F(SynthGguf, RefusesTypesGgmlLacksAndAWrongVocabulary) {
  const ModelConfig c = TinyConfig();
  ThreadPool pool(1);
  SynthOptions o;
  o.recipe = "nf4";
  try {
    WriteSynthGguf(c, TinyVocab(c.vocab_size), Path("x.gguf"), o, pool);
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot write into a GGUF file"));
  }
  o.recipe = "f16";
  EXPECT_THROW(WriteSynthGguf(c, TinyVocab(10), Path("x.gguf"), o, pool), Error);
  EXPECT_FALSE(std::filesystem::exists(Path("x.gguf")));
}

}  // namespace
}  // namespace qforge::quant
