// ARC-Easy and MMLU files to suites, formatted as lm-evaluation-harness formats them.
#include "qforge/eval/importers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "qforge/core/error.h"
#include "support/paths.h"
#include "support/temp_dir.h"

namespace qforge {
namespace {

using ImportTest = test::TempDirTest;

TEST_F(ImportTest, ArcEasy) {
  const auto cases = eval::ImportArc(test::Shared("data/arc-easy/validation.json"));
  ASSERT_EQ(cases.size(), 570u);
  const eval::SuiteCase& c = cases[0];  // MCAS_2000_4_6: "Which technology ...", answer A
  EXPECT_EQ(c.id, "MCAS_2000_4_6");
  EXPECT_EQ(c.prompt, "Question: Which technology was developed most recently?\nAnswer:");
  EXPECT_EQ(c.choices[0], " cellular telephone");
  EXPECT_EQ(c.answer_index, 0);
  EXPECT_EQ(c.capability, "arc-easy");
  // Written and read back as a suite.
  eval::WriteSuite(cases, Path("arc.jsonl"));
  const eval::Suite s = eval::LoadSuite(Path("arc.jsonl"));
  ASSERT_EQ(s.cases.size(), 570u);
  EXPECT_EQ(s.cases[5].choices, cases[5].choices);
}

TEST_F(ImportTest, Mmlu) {
  const auto cases = eval::ImportMmlu(test::Shared("data/mmlu/mmlu_5shot_83.json"));
  ASSERT_FALSE(cases.empty());
  EXPECT_EQ(cases[0].id, "anatomy-23");
  EXPECT_EQ(cases[0].choices, (std::vector<std::string>{" A", " B", " C", " D"}));
  EXPECT_EQ(cases[0].answer_index, 2);
  EXPECT_TRUE(cases[0].prompt.ends_with("Answer:"));
}

TEST_F(ImportTest, BadFilesAreErrors) {
  std::ofstream(Path("bad.json"))
      << R"([{"id":"x","question":"q","choices":{"text":["a","b"],"label":["A","B"]},"answerKey":"C"}])";
  EXPECT_THROW(eval::ImportArc(Path("bad.json")), Error);
  std::ofstream(Path("bad2.json")) << "{";
  EXPECT_THROW(eval::ImportMmlu(Path("bad2.json")), Error);
  EXPECT_THROW(eval::ImportArc(Path("absent.json")), Error);
}

}  // namespace
}  // namespace qforge
