// The regression gate: reads a report and decides pass or fail against thresholds.
//
// Capabilities: the regression is the relative drop (base - cand) / base of the score, or the
// absolute drop when the threshold is marked absolute; default threshold --max-regression.
// Metrics (text distribution and output shift), each with its natural direction:
//   ppl          relative increase: PPL(cand) / PPL(base) - 1   (gated by default at
//   max_regression) kld          mean KLD, absolute same_top     absolute drop from 100%: 1 -
//   same_top eos_rate, distinct_n                   absolute drop (base - cand) abstain_rate,
//   repeat_rate, loop_rate   absolute increase (cand - base) length_mean, length_median relative
//   change either way: |cand - base| / base
// With a significance level, a check fails only when the regression is also significant: McNemar's
// p < level for capabilities, a z-test on log PPL ratio for ppl and on the same-top rate, the
// bootstrap interval excluding 0 for shift metrics; KLD has no null to test against and always
// counts.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace qforge::report {

struct Threshold {
  double value = 0.02;
  bool absolute = false;
};

// "0.01" (relative), "rel:0.01" or "abs:0.01"; throws Error{kInvalidInput} otherwise.
Threshold ParseThreshold(const std::string& text, const std::string& what);

struct GateOptions {
  double max_regression = 0.02;
  std::map<std::string, Threshold> capabilities;  // by capability name
  std::map<std::string, double> metrics;          // by metric name (see above)
  std::optional<double> significance;
};

struct GateCheck {
  std::string kind;  // "capability" or "metric"
  std::string name;
  double base = 0, cand = 0;
  double regression = 0;  // in the threshold's units (relative or absolute)
  double threshold = 0;
  bool absolute = false;
  double p_value = -1;  // -1: not tested
  bool significant = true;
  bool passed = true;
  std::string message;  // one line for people
};

struct GateResult {
  bool passed = true;
  std::vector<GateCheck> checks;
};

// Throws Error{kInvalidInput} when a --capability or --metric names something the report lacks.
GateResult RunGate(const nlohmann::json& report, const GateOptions& options);

// The names --metric accepts.
const std::vector<std::string>& GateMetricNames();

}  // namespace qforge::report
