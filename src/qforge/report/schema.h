// The report's required fields, as docs/report-schema.md documents them; a report missing one, or
// holding it with the wrong type, is rejected by every consumer with a message naming the field.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace qforge::report {

enum class FieldType { kNumber, kString, kBool, kObject, kArray };

struct RequiredField {
  const char* path;  // "capabilities[].name": [] means every element of the array
  FieldType type;
};

// The required fields of schema version 1 (the test checks this list against the document).
const std::vector<RequiredField>& RequiredFields();

// Problems found, empty when the report is valid: "missing capabilities[2].mcnemar_p", ...
std::vector<std::string> ValidateReport(const nlohmann::json& report);

const char* FieldTypeName(FieldType t);

}  // namespace qforge::report
