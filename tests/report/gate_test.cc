// Gate decisions on synthetic reports, and the Markdown and JUnit renderings.
#include "qforge/report/gate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "qforge/core/error.h"
#include "qforge/report/summary.h"
#include "report/fixture.h"

namespace qforge {
namespace {
using ::testing::HasSubstr;

const report::GateCheck& Find(const report::GateResult& g, const std::string& name) {
  for (const auto& c : g.checks)
    if (c.name == name) return c;
  throw std::runtime_error("no check " + name);
}

TEST(Gate, IdenticalModelsPass) {
  const auto r = test::SyntheticReport(0);
  const auto g = report::RunGate(r, {});
  EXPECT_TRUE(g.passed);
  for (const auto& c : g.checks) EXPECT_EQ(c.regression, 0) << c.name;
}

TEST(Gate, LostCasesFailTheirCapability) {
  const auto r = test::SyntheticReport(8);  // arithmetic 20 -> 12 right: -40% relative
  const auto g = report::RunGate(r, {});
  EXPECT_FALSE(g.passed);
  EXPECT_TRUE(Find(g, "factual").passed);
  const auto& a = Find(g, "arithmetic");
  EXPECT_FALSE(a.passed);
  EXPECT_DOUBLE_EQ(a.regression, 0.4);
  // McNemar with 8 right->wrong, 0 wrong->right: p = 2 / 2^8.
  EXPECT_NEAR(a.p_value, 2.0 / 256, 1e-12);
  EXPECT_THAT(a.message, HasSubstr("FAIL"));
}

TEST(Gate, ThresholdsPerCapabilityAndSignificance) {
  const auto r = test::SyntheticReport(1);  // arithmetic loses one case of 20: -5%
  report::GateOptions o;
  EXPECT_FALSE(report::RunGate(r, o).passed);
  o.capabilities["arithmetic"] = report::ParseThreshold("0.1", "arithmetic");
  EXPECT_TRUE(report::RunGate(r, o).passed);
  o.capabilities["arithmetic"] = report::ParseThreshold("abs:0.01", "arithmetic");
  EXPECT_FALSE(report::RunGate(r, o).passed);
  // One discordant case is never significant (p = 1): the drop is noise.
  o.significance = 0.05;
  EXPECT_TRUE(report::RunGate(r, o).passed);
}

TEST(Gate, MetricThresholds) {
  const auto r = test::SyntheticReport(3);
  report::GateOptions o;
  o.capabilities["arithmetic"] = {1.0, false};
  o.metrics["kld"] = 1.0;
  EXPECT_TRUE(report::RunGate(r, o).passed);
  o.metrics["kld"] = 1e-5;
  EXPECT_FALSE(report::RunGate(r, o).passed);
  o.metrics.erase("kld");
  o.metrics["loop_rate"] = 0.01;  // 3 of 40 generations now loop
  const auto g = report::RunGate(r, o);
  EXPECT_FALSE(Find(g, "loop_rate").passed);
  EXPECT_NEAR(Find(g, "loop_rate").regression, 3.0 / 40, 1e-12);
}

TEST(Gate, BadInputIsAnError) {
  const auto r = test::SyntheticReport(0);
  report::GateOptions o;
  o.capabilities["nope"] = {0.1, false};
  EXPECT_THROW(report::RunGate(r, o), Error);
  o.capabilities.clear();
  o.metrics["speed"] = 1;
  EXPECT_THROW(report::RunGate(r, o), Error);
  EXPECT_THROW(report::ParseThreshold("x", "t"), Error);
  EXPECT_THROW(report::ParseThreshold("-1", "t"), Error);
  EXPECT_THROW(report::ParseThreshold("0.1%", "t"), Error);
}

TEST(GateOutput, MarkdownAndJUnit) {
  const auto r = test::SyntheticReport(8);
  const auto g = report::RunGate(r, {});
  const std::string md = report::GateMarkdown(r, g);
  EXPECT_THAT(md, HasSubstr("FAIL"));
  EXPECT_THAT(md, HasSubstr("| arithmetic | 20 | 100.0% | 60.0% | -40.0%"));
  const std::string x = report::GateJUnit(r, g);
  EXPECT_THAT(x, HasSubstr("<testsuites name=\"qforge gate\" tests=\"3\" failures=\"1\">"));
  EXPECT_THAT(x, HasSubstr("<testcase classname=\"qforge.capability\" name=\"arithmetic\">"));
  EXPECT_THAT(x, HasSubstr("<failure message="));
  const std::string t = report::GateText(r, g);
  EXPECT_THAT(t, HasSubstr("qforge gate: FAIL"));
  EXPECT_THAT(t, HasSubstr("flipped in arithmetic"));
}

}  // namespace
}  // namespace qforge
