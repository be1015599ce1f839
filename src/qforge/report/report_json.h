// report.json: the machine-readable result of `qforge eval`, schema in docs/report-schema.md.
// Every later step (gate, Markdown, JUnit, HTML) reads this JSON, never the in-memory result, so
// a report produced on one machine can be gated and rendered on another.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "qforge/eval/evaluate.h"

namespace qforge::report {

inline constexpr int kSchemaVersion = 1;

struct ReportContext {
  std::string qforge_version;
  std::string text_path;
  int n_ctx = 0;
  int n_chunks = -1;
  int threads = 0;
};

nlohmann::json BuildReport(const eval::EvalResult& result, const eval::EvalOptions& options,
                           const ReportContext& context);

// Reads and validates a report (ValidateReport); throws Error{kInvalidInput} naming the file and
// the first problem.
nlohmann::json LoadReport(const std::string& path);

}  // namespace qforge::report
