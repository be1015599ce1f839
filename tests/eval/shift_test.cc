// Generation features and the shift between two sets of generations.
#include "qforge/eval/shift.h"

#include <gtest/gtest.h>

namespace qforge {
namespace {

eval::CaseOutcome Gen(std::vector<int> ids, bool eos, bool max, std::string text = "") {
  eval::CaseOutcome o;
  o.output_ids = std::move(ids);
  o.hit_eos = eos;
  o.hit_max_tokens = max;
  o.output = std::move(text);
  return o;
}

TEST(Features, RepetitionLoopAbstention) {
  eval::ShiftOptions opt;
  // 1 2 3 1 2 3 1 2: trigrams 123 231 312 123 231 312 => 3 of 6 repeat.
  const auto f = eval::Features(Gen({1, 2, 3, 1, 2, 3, 1, 2}, false, true), opt);
  EXPECT_DOUBLE_EQ(f.length, 8);
  EXPECT_DOUBLE_EQ(f.repeat_rate, 0.5);
  EXPECT_TRUE(f.loop);
  EXPECT_FALSE(f.eos);
  const auto g = eval::Features(Gen({1, 2, 3, 4}, true, false, "Well, I Don't Know."), opt);
  EXPECT_DOUBLE_EQ(g.repeat_rate, 0);
  EXPECT_FALSE(g.loop);
  EXPECT_TRUE(g.eos);
  EXPECT_TRUE(g.abstained);
}

TEST(DistinctN, Bigrams) {
  const std::vector<int> a = {1, 2, 1, 2}, b = {1, 2};  // bigrams 12 21 12 | 12 => 2 of 4
  EXPECT_DOUBLE_EQ(eval::DistinctN({&a, &b}, 2), 0.5);
}

TEST(OutputShift, IdenticalIsZeroAndRamblingShows) {
  std::vector<eval::CaseOutcome> base, cand;
  for (int i = 0; i < 20; ++i) {
    base.push_back(Gen({i, i + 1}, true, false));
    cand.push_back(i < 10 ? Gen({i, i + 1}, true, false) : Gen({5, 6, 7, 5, 6, 7}, false, true));
  }
  for (const auto& m : eval::OutputShift(base, base)) {
    EXPECT_EQ(m.delta.estimate, 0) << m.name;
    EXPECT_EQ(m.delta.low, 0) << m.name;
    EXPECT_EQ(m.delta.high, 0) << m.name;
  }
  for (const auto& m : eval::OutputShift(base, cand)) {
    if (m.name == "eos_rate") {
      EXPECT_DOUBLE_EQ(m.cand - m.base, -0.5);
      EXPECT_LT(m.delta.high, 0);  // significant drop
    }
    if (m.name == "loop_rate") {
      EXPECT_DOUBLE_EQ(m.cand, 0.5);
    }
    if (m.name == "length_mean") {
      EXPECT_DOUBLE_EQ(m.cand - m.base, 2.0);
    }
  }
}

}  // namespace
}  // namespace qforge
