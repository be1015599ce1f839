// Promotions ranked by KLD per byte on hand-made scans (order, ties, free and useless moves), and
// the promoted recipe: PlanRecipe gives exactly the promoted types to the named tensors.
#include "qforge/plan/allocate.h"

#include <gtest/gtest.h>

#include "qforge/core/error.h"
#include "qforge/io/load_checkpoint.h"
#include "support/paths.h"

namespace qforge {
namespace {

plan::TensorSensitivity T(const std::string& name, QType type, uint64_t bytes, double kld) {
  plan::TensorSensitivity t;
  t.name = name;
  t.source = QType::kF32;
  t.type = type;
  t.bytes_source = 4000;
  t.bytes_type = bytes;
  t.kld_mean = kld;
  return t;
}

std::vector<std::string> Names(const std::vector<plan::Promotion>& p) {
  std::vector<std::string> n;
  for (const auto& x : p) n.push_back(x.name);
  return n;
}

TEST(RankPromotions, KldPerExtraByteThenNameThenUselessLast) {
  plan::SensitivityResult cheap, better;
  cheap.recipe = "Q4_0";
  better.recipe = "Q8_0";
  // name: cheap (bytes, kld) -> better (bytes, kld). The KLDs are binary fractions, so the gains
  // are exact and a, b and c tie exactly (each ratio is the rounded quotient of 1/400).
  cheap.tensors = {T("a", QType::kQ4_0, 100, 0.5),      T("b", QType::kQ4_0, 100, 0.375),
                   T("c", QType::kQ4_0, 100, 1.0),      T("d", QType::kQ4_0, 100, 0.125),
                   T("e", QType::kQ4_0, 100, 0.0625),   T("f", QType::kQ4_0, 100, 0.03125),
                   T("g", QType::kQ4_0, 100, 0.015625), T("only_cheap", QType::kQ4_0, 100, 9),
                   T("same", QType::kQ4_0, 100, 0.5)};
  better.tensors = {T("c", QType::kQ8_0, 500, 0.0),     // 1.0 / 400 = 2.5e-3
                    T("b", QType::kQ8_0, 150, 0.25),    // 0.125 / 50 = 2.5e-3, ties with c
                    T("a", QType::kQ8_0, 200, 0.25),    // 0.25 / 100 = 2.5e-3, ties too
                    T("d", QType::kQ8_0, 110, 0.0),     // 0.125 / 10 = 1.25e-2: best paid move
                    T("e", QType::kQ8_0, 300, 0.0625),  // gain 0: useless, 200 extra bytes
                    T("f", QType::kQ8_0, 200, 0.0625),  // gain < 0: useless, 100 extra bytes
                    T("g", QType::kQ4_1, 90, 0.0),      // free: fewer bytes and a gain
                    T("same", QType::kQ4_0, 100, 0.5),  // same type: no move
                    T("only_better", QType::kQ8_0, 200, 0)};
  const std::vector<plan::Promotion> p = plan::RankPromotions(cheap, better);
  EXPECT_EQ(Names(p), (std::vector<std::string>{"g", "d", "a", "b", "c", "f", "e"}));
  ASSERT_EQ(p.size(), 7u);
  EXPECT_EQ(p[1].from, QType::kQ4_0);
  EXPECT_EQ(p[1].to, QType::kQ8_0);
  EXPECT_EQ(p[1].extra_bytes, 10);
  EXPECT_EQ(p[1].kld_gain, 0.125);
  EXPECT_EQ(p[0].extra_bytes, -10);
  EXPECT_EQ(p[6].kld_gain, 0.0);
}

TEST(RankPromotions, ScansOfDifferentModelsAreRefused) {
  plan::SensitivityResult cheap, better;
  cheap.tensors = {T("a", QType::kQ4_0, 100, 0.3)};
  better.tensors = {T("a", QType::kQ8_0, 200, 0.1)};
  better.tensors[0].source = QType::kF16;
  EXPECT_THROW(plan::RankPromotions(cheap, better), Error);
}

plan::SensitivityResult Scan(const std::string& recipe, std::vector<plan::TensorSensitivity> t) {
  plan::SensitivityResult r;
  r.recipe = recipe;
  r.tensors = std::move(t);
  return r;
}

std::string Step(const plan::Promotion& p) {
  return p.name + ":" + std::string(Traits(p.from).name) + ">" + std::string(Traits(p.to).name);
}

// Three rungs, hand-made so that every ratio is an exact binary fraction over a round byte count
// (equal ratios are the same rounded quotient, so ties are exact):
//   a: (100, 1) (150, 0.5) (200, 0.25)   hull: Q3>Q4 at 1/100, then Q4>Q5 at 1/200
//   b: (100, 1) (150, 0.9) (200, 0)      Q4 lies above the hull: one step Q3>Q5 at 1/100
//   c: (100, .5) (150, .5) (200, .75)    nothing buys KLD: no step
//   d: (100, 1) (150, .75) (200, .5)     collinear: one step to the farthest, Q3>Q5 at 1/200
//   e: (100, .5) (90, .25) (200, .125)   free step Q3>Q4 first, then Q4>Q5 at 0.125/110
TEST(RankLadderPromotions, ConvexHullStepsRankedByGainPerByte) {
  const std::vector<plan::SensitivityResult> scans = {
      Scan("Q3_K_S", {T("a", QType::kQ3_K, 100, 1), T("b", QType::kQ3_K, 100, 1),
                      T("c", QType::kQ3_K, 100, 0.5), T("d", QType::kQ3_K, 100, 1),
                      T("e", QType::kQ3_K, 100, 0.5)}),
      Scan("Q4_K_S", {T("a", QType::kQ4_K, 150, 0.5), T("b", QType::kQ4_K, 150, 0.9),
                      T("c", QType::kQ4_K, 150, 0.5), T("d", QType::kQ4_K, 150, 0.75),
                      T("e", QType::kQ4_K, 90, 0.25)}),
      Scan("Q5_K_S", {T("a", QType::kQ5_K, 200, 0.25), T("b", QType::kQ5_K, 200, 0),
                      T("c", QType::kQ5_K, 200, 0.75), T("d", QType::kQ5_K, 200, 0.5),
                      T("e", QType::kQ5_K, 200, 0.125)}),
  };
  const std::vector<plan::Promotion> p = plan::RankLadderPromotions(scans);
  std::vector<std::string> steps;
  for (const auto& x : p) steps.push_back(Step(x));
  EXPECT_EQ(steps, (std::vector<std::string>{"e:Q3_K>Q4_K", "a:Q3_K>Q4_K", "b:Q3_K>Q5_K",
                                             "a:Q4_K>Q5_K", "d:Q3_K>Q5_K", "e:Q4_K>Q5_K"}));
  ASSERT_EQ(p.size(), 6u);
  EXPECT_EQ(p[0].extra_bytes, -10);
  EXPECT_EQ(p[0].kld_gain, 0.25);
  EXPECT_EQ(p[3].extra_bytes, 50);  // a's second step counts from Q4_K, not from Q3_K
  EXPECT_EQ(p[3].kld_gain, 0.25);
  // Two rungs: RankPromotions' order without the moves that buy nothing.
  const std::vector<plan::Promotion> two = plan::RankLadderPromotions(std::span(scans).first(2));
  std::vector<plan::Promotion> expected = plan::RankPromotions(scans[0], scans[1]);
  std::erase_if(expected, [](const plan::Promotion& x) { return x.kld_gain <= 0; });
  ASSERT_EQ(two.size(), expected.size());
  for (size_t i = 0; i < two.size(); ++i) EXPECT_EQ(Step(two[i]), Step(expected[i]));

  // The recipe: one rule per tensor, its last promoted step's type, in order of first promotion.
  quant::Recipe base;
  base.name = "Q3_K_S";
  base.default_type = "Q3_K";
  const quant::Recipe three = plan::PromoteTensors(base, p, 3, "x");
  ASSERT_EQ(three.rules.size(), 3u);
  EXPECT_EQ(three.rules[0].pattern, "e");
  EXPECT_EQ(three.rules[0].type, "Q4_K");
  EXPECT_EQ(three.rules[1].pattern, "a");
  EXPECT_EQ(three.rules[1].type, "Q4_K");
  const quant::Recipe four = plan::PromoteTensors(base, p, 4, "x");
  ASSERT_EQ(four.rules.size(), 3u);
  EXPECT_EQ(four.rules[1].type, "Q5_K");  // a climbed its second rung
}

TEST(PromoteTensors, PlanGivesThePromotedTypesToTheNamedTensorsOnly) {
  const Checkpoint ckpt = io::LoadCheckpoint(test::Shared("models/testbed/testbed.bin"));
  const quant::Recipe base = quant::LoadRecipe("Q4_K_M");
  const std::vector<plan::Promotion> promotions = {
      {"blk.2.ffn_down.weight", QType::kQ4_K, QType::kQ8_0, 1000, 0.1},
      {"token_embd.weight", QType::kQ6_K, QType::kF16, 1000, 0.05},     // tied: also the classifier
      {"blk.0.attn_q.weight", QType::kQ4_K, QType::kQ5_K, 1000, 0.01},  // beyond count: untouched
  };
  const quant::Recipe mixed = plan::PromoteTensors(base, promotions, 2, "Q4_K_M+2");
  EXPECT_EQ(mixed.name, "Q4_K_M+2");
  EXPECT_EQ(mixed.rules.size(), base.rules.size() + 2);
  const auto before = quant::PlanRecipe(base, ckpt);
  // Through JSON as well: the recipe AUTO writes is the one that runs.
  const quant::Recipe reread = quant::RecipeFromJson(quant::RecipeToJson(mixed), "test");
  for (const quant::Recipe* r : {&mixed, &reread}) {
    const auto after = quant::PlanRecipe(*r, ckpt);
    ASSERT_EQ(after.size(), before.size());
    for (size_t i = 0; i < after.size(); ++i) {
      const std::string& n = after[i].name;
      if (n == "blk.2.ffn_down.weight")
        EXPECT_EQ(after[i].type, QType::kQ8_0);
      else if (n == "token_embd.weight")
        EXPECT_EQ(after[i].type, QType::kF16);
      else
        EXPECT_EQ(after[i].type, before[i].type) << n;
    }
  }
  EXPECT_EQ(plan::PromoteTensors(base, promotions, 0, "same").rules.size(), base.rules.size());
  EXPECT_THROW(plan::PromoteTensors(base, promotions, 4, "too many"), Error);
}

}  // namespace
}  // namespace qforge
