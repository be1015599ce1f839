// Inline SVG charts for the HTML report: plain strings, no scripts, no network, so the page renders
// the same in any browser and in headless test runs.
#pragma once

#include <string>
#include <vector>

namespace qforge::report {

// Grouped bars (baseline vs candidate per group) on a 0..1 axis, each with a whisker for its
// interval [low, high].
struct BarGroup {
  std::string label;
  double base = 0, base_low = 0, base_high = 0;
  double cand = 0, cand_low = 0, cand_high = 0;
};
std::string BarChartSvg(const std::vector<BarGroup>& groups, const std::string& title);

// A histogram over given bin edges (log-spaced for KLD), with edge labels as 10^k.
std::string HistogramSvg(const std::vector<double>& edges, const std::vector<double>& counts,
                         const std::string& title, const std::string& x_label);

// Points on a log-x / linear-y plane (the precision ladder: size vs quality).
struct ScatterPoint {
  std::string label;
  double x = 0, y = 0;
};
std::string ScatterSvg(const std::vector<ScatterPoint>& points, const std::string& title,
                       const std::string& x_label, const std::string& y_label);

}  // namespace qforge::report
