// Identical baseline and candidate through the whole pipeline (Evaluate -> report.json -> gate):
// KLD 0, same top 100%, every delta and interval 0, and the gate passes at any threshold.
#include <gtest/gtest.h>

#include "eval/testbed.h"
#include "qforge/eval/evaluate.h"
#include "qforge/report/gate.h"
#include "qforge/report/report_json.h"
#include "qforge/report/schema.h"

namespace qforge {
namespace {

eval::Suite FirstCases(const std::string& name, size_t n) {
  eval::Suite s = eval::LoadSuite(test::Shared("models/testbed/suites/" + name + ".jsonl"));
  s.cases.resize(std::min(n, s.cases.size()));
  return s;
}

TEST(Identical, EveryDeltaIsZeroAndTheGatePasses) {
  auto& m = test::TestbedF32();
  eval::ModelUnderTest side{"testbed.bin", 1, 13149212, &m.model, &test::TestbedTokenizer()};
  eval::EvalOptions o;
  o.text_tokens = test::HeldoutTokens();
  o.ppl.n_ctx = 128;
  o.ppl.n_chunks = 2;
  o.bootstrap.resamples = 200;
  const eval::EvalResult r =
      eval::Evaluate(side, side, {FirstCases("facts", 8), FirstCases("facts_choice", 4)}, o);
  ASSERT_TRUE(r.distribution.has_value());
  EXPECT_EQ(r.distribution->kld_mean, 0.0);
  EXPECT_EQ(r.distribution->same_top, 1.0);
  EXPECT_EQ(r.distribution->ppl_ratio, 1.0);
  for (const auto& c : r.capabilities) {
    EXPECT_EQ(c.delta.estimate, 0.0) << c.name;
    EXPECT_EQ(c.delta.low, 0.0) << c.name;
    EXPECT_EQ(c.delta.high, 0.0) << c.name;
    EXPECT_EQ(c.mcnemar_p, 1.0) << c.name;
    EXPECT_TRUE(c.flipped.empty()) << c.name;
  }
  for (const auto& s : r.shift) EXPECT_EQ(s.delta.estimate, 0.0) << s.name;
  report::ReportContext ctx{"test", "heldout.txt", 128, 2, 2};
  const nlohmann::json j = report::BuildReport(r, o, ctx);
  EXPECT_TRUE(report::ValidateReport(j).empty());
  report::GateOptions strict;
  strict.max_regression = 0;
  strict.metrics = {{"kld", 0.0}, {"same_top", 0.0}, {"eos_rate", 0.0}, {"loop_rate", 0.0}};
  const report::GateResult g = report::RunGate(j, strict);
  EXPECT_TRUE(g.passed);
  EXPECT_EQ(g.checks.size(), 2u + 5u);  // 2 capabilities, 4 metrics + ppl
}

}  // namespace
}  // namespace qforge
