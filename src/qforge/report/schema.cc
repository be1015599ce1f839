// Required-field checks for report.json.
#include "qforge/report/schema.h"

#include <fmt/format.h>

#include "qforge/report/report_json.h"

namespace qforge::report {
namespace {

bool HasType(const nlohmann::json& j, FieldType t) {
  switch (t) {
    case FieldType::kNumber:
      return j.is_number();
    case FieldType::kString:
      return j.is_string();
    case FieldType::kBool:
      return j.is_boolean();
    case FieldType::kObject:
      return j.is_object();
    case FieldType::kArray:
      return j.is_array();
  }
  return false;
}

// Walks `path` ("a.b[].c") from `j`, reporting each missing or mistyped leaf.
void Check(const nlohmann::json& j, std::string_view path, const std::string& shown, FieldType t,
           std::vector<std::string>& problems) {
  const size_t dot = path.find('.');
  std::string_view head = path.substr(0, dot);
  const bool each = head.ends_with("[]");
  if (each) head.remove_suffix(2);
  const std::string key(head);
  const std::string here = shown.empty() ? key : shown + "." + key;
  if (!j.is_object() || !j.contains(key)) {
    problems.push_back("missing " + here);
    return;
  }
  const nlohmann::json& v = j[key];
  if (dot == std::string_view::npos) {
    if (!HasType(v, t))
      problems.push_back(
          fmt::format("{} must be {}, got {}", here, FieldTypeName(t), v.type_name()));
    return;
  }
  const std::string_view rest = path.substr(dot + 1);
  if (!each) return Check(v, rest, here, t, problems);
  if (!v.is_array()) {
    problems.push_back(here + " must be an array");
    return;
  }
  for (size_t i = 0; i < v.size(); ++i)
    Check(v[i], rest, fmt::format("{}[{}]", here, i), t, problems);
}

}  // namespace

const char* FieldTypeName(FieldType t) {
  switch (t) {
    case FieldType::kNumber:
      return "number";
    case FieldType::kString:
      return "string";
    case FieldType::kBool:
      return "boolean";
    case FieldType::kObject:
      return "object";
    case FieldType::kArray:
      return "array";
  }
  return "?";
}

const std::vector<RequiredField>& RequiredFields() {
  using F = FieldType;
  static const std::vector<RequiredField> fields = {
      {"schema_version", F::kNumber},
      {"tool.name", F::kString},
      {"tool.version", F::kString},
      {"baseline.path", F::kString},
      {"baseline.hash", F::kString},
      {"baseline.bytes", F::kNumber},
      {"candidate.path", F::kString},
      {"candidate.hash", F::kString},
      {"candidate.bytes", F::kNumber},
      {"settings.confidence", F::kNumber},
      {"settings.bootstrap_resamples", F::kNumber},
      {"settings.bootstrap_seed", F::kNumber},
      {"suites", F::kArray},
      {"suites[].name", F::kString},
      {"suites[].hash", F::kString},
      {"suites[].cases", F::kNumber},
      {"capabilities", F::kArray},
      {"capabilities[].name", F::kString},
      {"capabilities[].cases", F::kNumber},
      {"capabilities[].base_score", F::kNumber},
      {"capabilities[].cand_score", F::kNumber},
      {"capabilities[].delta", F::kNumber},
      {"capabilities[].delta_low", F::kNumber},
      {"capabilities[].delta_high", F::kNumber},
      {"capabilities[].relative_delta", F::kNumber},
      {"capabilities[].right_to_wrong", F::kNumber},
      {"capabilities[].wrong_to_right", F::kNumber},
      {"capabilities[].mcnemar_p", F::kNumber},
      {"capabilities[].flipped", F::kArray},
      {"shift", F::kArray},
      {"shift[].name", F::kString},
      {"shift[].base", F::kNumber},
      {"shift[].cand", F::kNumber},
      {"shift[].delta", F::kNumber},
      {"shift[].delta_low", F::kNumber},
      {"shift[].delta_high", F::kNumber},
      {"throughput", F::kObject},
  };
  return fields;
}

std::vector<std::string> ValidateReport(const nlohmann::json& report) {
  std::vector<std::string> problems;
  if (!report.is_object()) return {"the report is not a JSON object"};
  for (const RequiredField& f : RequiredFields()) Check(report, f.path, "", f.type, problems);
  if (report.contains("schema_version") && report["schema_version"].is_number() &&
      report["schema_version"].get<int>() != kSchemaVersion)
    problems.push_back(fmt::format("schema_version is {}, this qforge reads {}",
                                   report["schema_version"].dump(), kSchemaVersion));
  // The distribution block is optional (no --text), but complete when present.
  if (report.contains("distribution") && !report["distribution"].is_null())
    for (const char* f : {"ppl_base", "ppl_cand", "ppl_ratio", "ppl_ratio_unc", "kld_mean",
                          "kld_unc", "same_top", "same_top_unc", "p_diff_rms", "tokens"})
      Check(report["distribution"], f, "distribution", FieldType::kNumber, problems);
  // The leakage section is optional (only when the candidate names its calibration data); when
  // present, "checked" says whether the overlap numbers follow.
  if (report.contains("leakage")) {
    const nlohmann::json& leak = report["leakage"];
    Check(report, "leakage.checked", "", FieldType::kBool, problems);
    if (leak.is_object() && leak.value("checked", false))
      for (const char* f : {"ngram", "eval_ngrams", "overlapping", "fraction"})
        Check(leak, f, "leakage", FieldType::kNumber, problems);
  }
  return problems;
}

}  // namespace qforge::report
