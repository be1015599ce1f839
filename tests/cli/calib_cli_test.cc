// qforge calib check end to end: finds the overlap when the calibration file is the eval text,
// none for the test bed's disjoint files, reads suites, and maps flags to exit codes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/paths.h"
#include "support/run_command.h"

namespace qforge {
namespace {
using test::CommandResult;
using test::Qforge;
using ::testing::HasSubstr;

const std::string kCalib = test::Shared("models/testbed/calib.txt");
const std::string kHeldout = test::Shared("models/testbed/heldout.txt");

TEST(CalibCli, SameFileOverlapsFullyAndFailsWhenAsked) {
  const CommandResult r = Qforge("calib check --calib " + kHeldout + " --eval " + kHeldout);
  EXPECT_EQ(r.code, 0) << r.out;
  // 10580 13-gram positions in heldout.txt (janitor.py's normalization, computed in Python).
  EXPECT_THAT(r.out, HasSubstr("13-grams: 10580 of 10580 eval n-grams (100.00%)"));
  EXPECT_THAT(r.out, HasSubstr("heldout.txt:1: 26 of 26 n-grams"));
  const CommandResult fail =
      Qforge("calib check --fail-on-overlap --calib " + kHeldout + " --eval " + kHeldout);
  EXPECT_EQ(fail.code, 1);
}

TEST(CalibCli, DisjointFilesHaveNoOverlap) {
  const CommandResult r =
      Qforge("-q calib check --fail-on-overlap --json --calib " + kCalib + " --eval " + kHeldout);
  ASSERT_EQ(r.code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["ngram"], 13);
  EXPECT_EQ(j["eval_ngrams"], 10580);
  EXPECT_EQ(j["overlapping"], 0);
  EXPECT_TRUE(j["contaminated"].empty());
}

TEST(CalibCli, SuiteCasesAreEvalItems) {
  // A calibration file quoting one case's prompt and answer: only that case is contaminated.
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("qforge-calib-cli-" + std::to_string(::getpid())))
          .string();
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/suite.jsonl")
      << R"({"id":"a","kind":"generate","prompt":"Q: Where did the small brown dog with the red )"
         R"(collar go after lunch on Sunday?\nA:","answer":"To the park."})"
      << "\n"
      << R"({"id":"b","kind":"choice","prompt":"Is the sky green?","choices":[" yes"," no"],)"
         R"("answer":1})"
      << "\n";
  std::ofstream(dir + "/calib.jsonl")
      << R"({"text":"q where did the small brown dog with the red collar go after lunch on )"
         R"(sunday a to the park"})"
      << "\n";
  const CommandResult r =
      Qforge("calib check --calib " + dir + "/calib.jsonl --eval " + dir + "/suite.jsonl");
  EXPECT_EQ(r.code, 0) << r.out;
  // Case a: "q", 15 words, "a", 3 answer words = 20 words -> 8 13-grams, all in the calib text.
  EXPECT_THAT(r.out, HasSubstr("8 of 8 eval n-grams"));
  EXPECT_THAT(r.out, HasSubstr("suite/a: 8 of 8 n-grams"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("suite/b")));
  std::filesystem::remove_all(dir);
}

TEST(CalibCli, BadInputIsExitCodeTwo) {
  EXPECT_EQ(Qforge("calib check --calib /nonexistent.txt --eval " + kHeldout).code, 2);
  const std::string bad = (std::filesystem::temp_directory_path() /
                           ("qforge-calib-bad-" + std::to_string(::getpid()) + ".jsonl"))
                              .string();
  std::ofstream(bad) << "{\"txt\": \"no text field\"}\n";
  const CommandResult r = Qforge("calib check --calib " + bad + " --eval " + kHeldout);
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("missing string field \"text\""));
  std::filesystem::remove(bad);
}

}  // namespace
}  // namespace qforge
