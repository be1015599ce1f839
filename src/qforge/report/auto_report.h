// report.html of `qforge auto`: every rung tried (recipe, predicted and real size, bits per
// weight, KLD, PPL ratio, same-top, capability scores, verdict and the failing checks), size vs
// quality charts with the chosen point marked, and, when step 2 ran, its sensitivity charts
// (report/sensitivity_html.h) and the promotions it ranked.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "qforge/plan/sensitivity.h"

namespace qforge::report {

// `auto_json` is plan::AutoResultToJson's document; `scans` are AutoResult::scans (may be empty);
// `model` names the baseline in the heading.
std::string AutoReportHtml(const nlohmann::json& auto_json,
                           const std::vector<plan::SensitivityResult>& scans,
                           const std::string& model);

}  // namespace qforge::report
