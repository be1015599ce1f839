// Human and CI renderings of a gate decision: a one-screen text summary, Markdown for a
// pull-request comment, JUnit XML for CI systems (one test case per check).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "qforge/report/gate.h"

namespace qforge::report {

std::string GateText(const nlohmann::json& report, const GateResult& gate);
std::string GateMarkdown(const nlohmann::json& report, const GateResult& gate);
std::string GateJUnit(const nlohmann::json& report, const GateResult& gate);

}  // namespace qforge::report
