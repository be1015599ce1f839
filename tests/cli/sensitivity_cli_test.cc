// qforge sensitivity end to end on the bundled stories260K (default text, a few tensors): the
// ranked table, the cost line, the JSON and HTML files; bad input is exit code 2 with one line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/paths.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace qforge {
namespace {
using ::testing::HasSubstr;

class SensitivityCli : public test::TempDirTest {};

std::string Model() { return test::Source("models/stories260K/stories260K.bin"); }

TEST_F(SensitivityCli, RanksPrintsTheCostAndWritesJsonAndHtml) {
  const std::string json = Path("s.json"), html = Path("s.html");
  // blk.0.* holds 7 matrices; Q8_0 fits the 64-wide rows, ffn_down's 172-wide rows fall to F16.
  // --only repeated, the model after it: still the model, not a third glob.
  const test::CommandResult r = test::Qforge(
      "sensitivity -r Q8_0 --ctx 64 --chunks 2 --only 'blk.0.attn*' --only 'blk.0.ffn*' " +
      Model() + " -t 2 -q --json " + json + " --html " + html);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("rank  tensor"));
  EXPECT_THAT(r.out, HasSubstr("F32 -> Q8_0"));
  EXPECT_THAT(r.out, HasSubstr("blk.0.ffn_down.weight"));
  EXPECT_THAT(r.out, HasSubstr("cost: 16 forward passes (2 chunks x (7 + 1) runs)"));
  std::ifstream in(json);
  const nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j["recipe"], "Q8_0");
  EXPECT_EQ(j["forward_passes"], 16);
  ASSERT_EQ(j["tensors"].size(), 7u);
  for (size_t i = 1; i < 7; ++i)
    EXPECT_GE(j["tensors"][i - 1]["kld_mean"].get<double>(),
              j["tensors"][i]["kld_mean"].get<double>());
  std::stringstream page;
  page << std::ifstream(html).rdbuf();
  EXPECT_THAT(page.str(), HasSubstr("<svg"));
  EXPECT_THAT(page.str(), HasSubstr("blk.0.attn_v.weight"));
}

TEST_F(SensitivityCli, BadInputIsExitCodeTwo) {
  test::CommandResult r =
      test::Qforge("sensitivity " + Model() + " -r Q8_0 --ctx 64 --chunks 2 --only 'blk.7.*'");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("'blk.7.*' matches no 2-D tensor"));
  const std::string tiny = Path("tiny.txt");
  std::ofstream(tiny) << "Once upon a time.";
  r = test::Qforge("sensitivity " + Model() + " -r Q8_0 --text " + tiny);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("needs at least 512"));
  r = test::Qforge("sensitivity " + Model() + " -r NOPE");
  EXPECT_EQ(r.code, 2) << r.out;
}

}  // namespace
}  // namespace qforge
