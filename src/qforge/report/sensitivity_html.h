// The sensitivity scan in HTML: a horizontal bar chart of the tensors by KLD (inline SVG, no
// scripts, as report/svg.h), the ranked table, and a standalone page holding both.
#pragma once

#include <string>

#include "qforge/plan/sensitivity.h"

namespace qforge::report {

// One bar per tensor in rank order (at most `max_bars`; the rest are counted in a footnote), length
// proportional to its mean KLD with a whisker of +/- one standard error, coloured by its type.
std::string SensitivityChartSvg(const plan::SensitivityResult& result, size_t max_bars = 40);

// A <section>: what was scanned and what it cost, the chart, the ranked table. `model` names the
// baseline in the heading.
std::string SensitivitySectionHtml(const plan::SensitivityResult& result, const std::string& model);

// A whole page (inline CSS) around SensitivitySectionHtml.
std::string SensitivityHtmlPage(const plan::SensitivityResult& result, const std::string& model);

}  // namespace qforge::report
