// The documented schema (docs/report-schema.md), the validator and a produced report agree.
#include "qforge/report/schema.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "report/fixture.h"
#include "support/paths.h"

namespace qforge {
namespace {

// The "Required fields" table of the document: field -> type.
std::map<std::string, std::string> DocumentedRequired() {
  std::ifstream in(test::Source("docs/report-schema.md"));
  std::string line;
  bool in_section = false;
  std::map<std::string, std::string> fields;
  const std::regex row(R"(^\| `([^`]+)` \| (\w+) \|)");
  while (std::getline(in, line)) {
    if (line.starts_with("## ")) in_section = line == "## Required fields";
    std::smatch m;
    if (in_section && std::regex_search(line, m, row)) fields[m[1]] = m[2];
  }
  return fields;
}

TEST(Schema, DocumentAndValidatorListTheSameFields) {
  const auto documented = DocumentedRequired();
  ASSERT_GT(documented.size(), 20u);
  std::map<std::string, std::string> code;
  for (const auto& f : report::RequiredFields()) code[f.path] = report::FieldTypeName(f.type);
  EXPECT_EQ(documented, code);
}

TEST(Schema, ProducedReportHasEveryDocumentedField) {
  const nlohmann::json r = test::SyntheticReport(5);
  EXPECT_EQ(r["schema_version"], 1);
  EXPECT_THAT(report::ValidateReport(r), ::testing::IsEmpty());
  // Round trip through text, as gate and report read it.
  EXPECT_THAT(report::ValidateReport(nlohmann::json::parse(r.dump())), ::testing::IsEmpty());
}

TEST(Schema, ProblemsNameTheField) {
  nlohmann::json r = test::SyntheticReport(0);
  r["capabilities"][1].erase("mcnemar_p");
  r["schema_version"] = 2;
  r["distribution"]["kld_mean"] = "x";
  const auto problems = report::ValidateReport(r);
  EXPECT_THAT(problems, ::testing::Contains("missing capabilities[1].mcnemar_p"));
  EXPECT_THAT(problems, ::testing::Contains(::testing::HasSubstr("schema_version is 2")));
  EXPECT_THAT(problems,
              ::testing::Contains(::testing::HasSubstr("distribution.kld_mean must be number")));
}

}  // namespace
}  // namespace qforge
