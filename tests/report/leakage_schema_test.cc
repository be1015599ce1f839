// The optional "leakage" section of report.json: absent, not checked, or checked with its numbers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "qforge/report/schema.h"
#include "report/fixture.h"

namespace qforge {
namespace {
using ::testing::Contains;
using ::testing::IsEmpty;

TEST(LeakageSchema, AbsentNotCheckedAndCheckedAreValid) {
  nlohmann::json r = test::SyntheticReport(0);
  EXPECT_THAT(report::ValidateReport(r), IsEmpty());
  r["leakage"] = {{"calibration_file", "calib.txt"}, {"checked", false}, {"reason", "missing"}};
  EXPECT_THAT(report::ValidateReport(r), IsEmpty());
  r["leakage"] = {{"calibration_file", "calib.txt"},
                  {"checked", true},
                  {"sha256_match", nullptr},
                  {"ngram", 13},
                  {"eval_ngrams", 10},
                  {"overlapping", 2},
                  {"fraction", 0.2},
                  {"contaminated_ids", {"facts/f-1"}}};
  EXPECT_THAT(report::ValidateReport(r), IsEmpty());
}

TEST(LeakageSchema, CheckedWithoutNumbersIsAProblem) {
  nlohmann::json r = test::SyntheticReport(0);
  r["leakage"] = {{"checked", true}, {"ngram", 13}, {"eval_ngrams", 10}, {"fraction", 0.2}};
  EXPECT_THAT(report::ValidateReport(r), Contains("missing leakage.overlapping"));
  r["leakage"] = {{"calibration_file", "calib.txt"}};
  EXPECT_THAT(report::ValidateReport(r), Contains("missing leakage.checked"));
}

}  // namespace
}  // namespace qforge
