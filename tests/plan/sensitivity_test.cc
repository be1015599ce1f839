// The sensitivity scan against eval's lockstep comparison of a checkpoint where only one tensor is
// quantized (same numbers, bit for bit), tensors left as stored, ranking, thread counts, bad input.
#include "qforge/plan/sensitivity.h"

#include <gtest/gtest.h>

#include <cmath>

#include "qforge/core/error.h"
#include "qforge/eval/kld.h"
#include "qforge/io/load_checkpoint.h"
#include "qforge/io/mapped_file.h"
#include "qforge/model/llama_model.h"
#include "qforge/quant/quantize_model.h"
#include "qforge/tokenizer/sentencepiece_tokenizer.h"
#include "support/paths.h"

namespace qforge {
namespace {

ThreadPool& Pool() {
  static ThreadPool pool(2);
  return pool;
}

const Checkpoint& Stories() {
  static const Checkpoint c =
      io::LoadCheckpoint(test::Source("models/stories260K/stories260K.bin"));
  return c;
}

const Checkpoint& Testbed() {
  static const Checkpoint c = io::LoadCheckpoint(test::Shared("models/testbed/testbed.bin"));
  return c;
}

// stories260K and the test bed share the tok512 vocabulary.
const std::vector<int>& Tokens() {
  static const std::vector<int> tokens = [] {
    const tokenizer::SentencePieceTokenizer tok(test::Shared("models/testbed/tokenizer.model"));
    return tok.Encode(io::ReadTextFile(test::Shared("models/testbed/heldout.txt")), true);
  }();
  return tokens;
}

quant::Rule Rule(const std::string& pattern, const std::string& type) {
  quant::Rule r;
  r.pattern = pattern;
  r.type = type;
  return r;
}

plan::SensitivityOptions Options(int ctx, int chunks, std::vector<std::string> only = {}) {
  plan::SensitivityOptions o;
  o.tokens = Tokens();
  o.ppl.n_ctx = ctx;
  o.ppl.n_chunks = chunks;
  o.ppl.bos_id = 1;
  o.only = std::move(only);
  return o;
}

// eval's path, independent of the scan's: a recipe that quantizes `name` alone (the rest kept),
// QuantizeCheckpoint over the whole model, and CompareDistributions on two LlamaModels.
eval::DistributionResult OnlyThisTensor(const Checkpoint& base, const std::string& name, QType type,
                                        const eval::PerplexityOptions& ppl) {
  quant::Recipe r;
  r.name = "one";
  r.default_type = "F32";
  r.rules = {Rule(name, std::string(Traits(type).name)), Rule("*", "keep")};
  const quant::QuantizedModel q = quant::QuantizeCheckpoint(base, r, Pool());
  model::LlamaModel b(base, Pool()), c(q.checkpoint, Pool());
  return eval::CompareDistributions(b, c, Tokens(), ppl);
}

void ExpectSameAsEval(const Checkpoint& base, const std::string& recipe, const std::string& name,
                      int ctx, int chunks) {
  const plan::SensitivityOptions o = Options(ctx, chunks, {name});
  const plan::SensitivityResult s =
      plan::ScanSensitivity(base, quant::LoadRecipe(recipe), o, Pool());
  ASSERT_EQ(s.tensors.size(), 1u);
  const plan::TensorSensitivity& t = s.tensors[0];
  ASSERT_TRUE(t.scanned);
  const eval::DistributionResult d = OnlyThisTensor(base, name, t.type, o.ppl);
  // Same logits (the forward pass is deterministic), same CompareToken, same order of the sums:
  // identical doubles, not merely close.
  EXPECT_EQ(t.kld_mean, d.kld_mean) << name;
  EXPECT_EQ(t.kld_unc, d.kld_unc) << name;
  EXPECT_EQ(t.ppl_ratio, d.ppl_ratio) << name;
  EXPECT_EQ(t.same_top, d.same_top) << name;
  EXPECT_EQ(s.ppl_base, d.ppl_base);
  EXPECT_EQ(s.scored_tokens, d.count);
  EXPECT_GT(t.kld_mean, 0.0);
  EXPECT_EQ(s.forward_passes, 2 * int64_t(chunks));  // baseline + one candidate
}

TEST(Sensitivity, TestbedTensorEqualsEvalComparison) {
  ExpectSameAsEval(Testbed(), "Q4_K_M", "blk.1.ffn_down.weight", 128, 3);
  ExpectSameAsEval(Testbed(), "Q3_K_M", "token_embd.weight", 128, 3);  // tied: the classifier too
}

TEST(Sensitivity, StoriesFallbackTypeEqualsEvalComparison) {
  // stories260K's rows are 64 and 172 wide: Q4_K falls back (Q5_0, F16), as in QuantizeCheckpoint.
  ExpectSameAsEval(Stories(), "Q4_K_M", "blk.2.attn_v.weight", 64, 4);
}

TEST(Sensitivity, TensorLeftAsStoredIsZeroWithoutPasses) {
  quant::Recipe r;
  r.name = "mixed";
  r.default_type = "Q8_0";
  r.rules = {Rule("blk.0.attn_q.weight", "F32")};
  const plan::SensitivityResult s = plan::ScanSensitivity(
      Stories(), r, Options(64, 3, {"blk.0.attn_q.weight", "blk.0.attn_k.weight"}), Pool());
  ASSERT_EQ(s.tensors.size(), 2u);
  EXPECT_EQ(s.tensors[0].name, "blk.0.attn_k.weight");  // the damaging one ranks first
  EXPECT_GT(s.tensors[0].kld_mean, 0.0);
  const plan::TensorSensitivity& kept = s.tensors[1];
  EXPECT_EQ(kept.name, "blk.0.attn_q.weight");
  EXPECT_FALSE(kept.scanned);
  EXPECT_EQ(kept.type, QType::kF32);
  EXPECT_EQ(kept.kld_mean, 0.0);
  EXPECT_EQ(kept.ppl_ratio, 1.0);
  EXPECT_EQ(kept.same_top, 1.0);
  EXPECT_EQ(kept.bytes_source, kept.bytes_type);
  EXPECT_EQ(kept.bytes_source, 64u * 64u * 4u);
  EXPECT_EQ(s.forward_passes, 2 * 3);  // the kept tensor costs no pass
  // Q8_0: 34 bytes per 32 weights.
  EXPECT_EQ(s.tensors[0].bytes_type, 32u * 2u * 34u);
}

TEST(Sensitivity, RankByKldDescendingTiesByName) {
  std::vector<plan::TensorSensitivity> t(5);
  t[0].name = "b", t[0].kld_mean = 0.5;
  t[1].name = "d", t[1].kld_mean = 0.0;
  t[2].name = "a", t[2].kld_mean = 0.5;
  t[3].name = "c", t[3].kld_mean = 1.0;
  t[4].name = "z", t[4].kld_mean = std::nan("");  // overflowed logits: the worst
  plan::RankByKld(t);
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t[0].name, "z");
  EXPECT_EQ(t[1].name, "c");
  EXPECT_EQ(t[2].name, "a");
  EXPECT_EQ(t[3].name, "b");
  EXPECT_EQ(t[4].name, "d");
}

TEST(Sensitivity, SameResultAtOneAndTwoThreads) {
  const quant::Recipe r = quant::LoadRecipe("Q4_0");
  const plan::SensitivityOptions o = Options(64, 2, {"blk.3.*", "token_embd.weight"});
  ThreadPool one(1), two(2);
  std::vector<std::pair<int, int>> calls;
  const plan::SensitivityResult a = plan::ScanSensitivity(Stories(), r, o, one);
  const plan::SensitivityResult b = plan::ScanSensitivity(
      Stories(), r, o, two, [&](int done, int all) { calls.emplace_back(done, all); });
  ASSERT_EQ(a.tensors.size(), 8u);  // token_embd + 7 matrices of layer 3
  ASSERT_EQ(b.tensors.size(), a.tensors.size());
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    EXPECT_EQ(a.tensors[i].name, b.tensors[i].name);
    EXPECT_EQ(a.tensors[i].kld_mean, b.tensors[i].kld_mean) << a.tensors[i].name;
    EXPECT_EQ(a.tensors[i].kld_unc, b.tensors[i].kld_unc);
    EXPECT_EQ(a.tensors[i].ppl_ratio, b.tensors[i].ppl_ratio);
    EXPECT_EQ(a.tensors[i].same_top, b.tensors[i].same_top);
    if (i > 0) {
      EXPECT_GE(a.tensors[i - 1].kld_mean, a.tensors[i].kld_mean);
    }
  }
  EXPECT_EQ(a.forward_passes, 2 * 9);
  ASSERT_EQ(calls.size(), 8u);
  EXPECT_EQ(calls.back(), std::make_pair(8, 8));
}

TEST(Sensitivity, CalibratedMethodIsScannedWithRoundToNearestAndANote) {
  quant::Recipe r = quant::LoadRecipe("Q8_0");
  r.method.method = quant::Method::kGptq;
  const plan::SensitivityResult s =
      plan::ScanSensitivity(Stories(), r, Options(64, 2, {"blk.0.attn_q.weight"}), Pool());
  EXPECT_NE(s.note.find("gptq"), std::string::npos) << s.note;
}

TEST(Sensitivity, BadInputIsAClearError) {
  const quant::Recipe r = quant::LoadRecipe("Q8_0");
  try {
    plan::ScanSensitivity(Stories(), r, Options(64, 2, {"blk.0.*", "blk.9.nothing*"}), Pool());
    FAIL() << "an --only glob matching nothing must be refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_NE(std::string(e.what()).find("blk.9.nothing*"), std::string::npos) << e.what();
  }
  plan::SensitivityOptions short_text = Options(64, 2);
  short_text.tokens.resize(100);  // fewer than 2 x 64
  EXPECT_THROW(plan::ScanSensitivity(Stories(), r, short_text, Pool()), Error);
  // Distributions that cannot be kept: 3 chunks x 511 scored tokens x 2^20 x 4 bytes = 5.99 GiB,
  // one chunk (1.996 GiB) fits under the 2 GiB cap; at context 4096 not even one does.
  Checkpoint huge;
  huge.path = "huge";
  huge.config.vocab_size = 1 << 20;
  huge.config.max_seq_len = 4096;
  plan::SensitivityOptions o = Options(1024, 3);
  o.tokens.assign(8192, 1);
  try {
    plan::ScanSensitivity(huge, r, o, Pool());
    FAIL() << "the baseline's memory must be capped";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("use at most 1 chunk(s)"), std::string::npos) << e.what();
  }
  o.ppl.n_ctx = 4096;
  o.ppl.n_chunks = 2;
  try {
    plan::ScanSensitivity(huge, r, o, Pool());
    FAIL() << "the baseline's memory must be capped";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("shorter context"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace qforge
