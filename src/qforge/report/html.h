// The self-contained HTML report: one file with inline CSS and SVG (no scripts, no network).
// Per candidate: the models, text distribution metrics with the KLD histogram, per-capability
// bars baseline vs candidate with 95% intervals, the flipped cases with both outputs side by side,
// and the output-shift metrics; with several reports, the precision ladder (size vs quality).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace qforge::report {

// `reports` are validated report.json documents (LoadReport).
std::string RenderHtml(const std::vector<nlohmann::json>& reports);

}  // namespace qforge::report
