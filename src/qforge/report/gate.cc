// Gate checks over a validated report.
#include "qforge/report/gate.h"

#include <fmt/format.h>

#include <cmath>

#include "qforge/core/error.h"

namespace qforge::report {
namespace {

using nlohmann::json;

// Two-sided p-value of a standard normal statistic.
double NormalP(double z) { return std::erfc(std::abs(z) / std::sqrt(2.0)); }

void Decide(GateCheck& c, const std::optional<double>& significance) {
  const bool over = c.regression > c.threshold;
  if (significance && c.p_value >= 0) c.significant = c.p_value < *significance;
  c.passed = !(over && c.significant);
  const std::string unit = c.absolute ? "" : " (relative)";
  c.message =
      fmt::format("{} {}: base {:.6g}, candidate {:.6g}, regression {:.4g}{} vs limit {:.4g}",
                  c.kind, c.name, c.base, c.cand, c.regression, unit, c.threshold);
  if (c.p_value >= 0) c.message += fmt::format(", p = {:.3g}", c.p_value);
  if (over && !c.significant) c.message += " (not significant)";
  c.message += c.passed ? ": pass" : ": FAIL";
}

GateCheck CapabilityCheck(const json& cap, const Threshold& t, const GateOptions& o) {
  GateCheck c;
  c.kind = "capability";
  c.name = cap["name"].get<std::string>();
  c.base = cap["base_score"].get<double>();
  c.cand = cap["cand_score"].get<double>();
  const double drop = c.base - c.cand;
  c.absolute = t.absolute;
  c.regression = t.absolute ? drop : (c.base > 0 ? drop / c.base : (drop > 0 ? 1.0 : 0.0));
  c.threshold = t.value;
  c.p_value = cap["mcnemar_p"].get<double>();
  Decide(c, o.significance);
  return c;
}

std::optional<GateCheck> DistributionCheck(const json& d, const std::string& name, double limit,
                                           const GateOptions& o) {
  GateCheck c;
  c.kind = "metric";
  c.name = name;
  c.threshold = limit;
  if (name == "ppl") {
    c.base = d["ppl_base"].get<double>();
    c.cand = d["ppl_cand"].get<double>();
    c.regression = d["ppl_ratio"].get<double>() - 1;
    const double unc = d.value("log_ppl_ratio_unc", 0.0);
    if (unc > 0) c.p_value = NormalP(d.value("log_ppl_ratio", 0.0) / unc);
  } else if (name == "kld") {
    c.base = 0;
    c.cand = d["kld_mean"].get<double>();
    c.regression = c.cand;
    c.absolute = true;
  } else if (name == "same_top") {
    c.base = 1;
    c.cand = d["same_top"].get<double>();
    c.regression = 1 - c.cand;
    c.absolute = true;
    const double unc = d["same_top_unc"].get<double>();
    c.p_value = unc > 0 ? NormalP(c.regression / unc) : (c.regression > 0 ? 0.0 : 1.0);
  } else {
    return std::nullopt;
  }
  Decide(c, o.significance);
  return c;
}

std::optional<GateCheck> ShiftCheck(const json& shift, const std::string& name, double limit,
                                    const GateOptions& o) {
  for (const json& m : shift) {
    if (m["name"] != name) continue;
    GateCheck c;
    c.kind = "metric";
    c.name = name;
    c.threshold = limit;
    c.base = m["base"].get<double>();
    c.cand = m["cand"].get<double>();
    const double delta = c.cand - c.base;
    c.absolute = true;
    if (name == "eos_rate" || name == "distinct_n") {
      c.regression = -delta;
    } else if (name == "length_mean" || name == "length_median") {
      c.absolute = false;
      c.regression = std::abs(delta) / std::max(c.base, 1.0);
    } else {
      c.regression = delta;
    }
    // The bootstrap interval stands in for a test: it excludes 0 <=> significant at its level.
    const bool excludes_zero =
        m["delta_low"].get<double>() > 0 || m["delta_high"].get<double>() < 0;
    c.p_value = excludes_zero ? 0.0 : 1.0;
    Decide(c, o.significance);
    return c;
  }
  return std::nullopt;
}

}  // namespace

const std::vector<std::string>& GateMetricNames() {
  static const std::vector<std::string> names = {
      "ppl",          "kld",         "same_top",  "eos_rate",    "distinct_n",
      "abstain_rate", "repeat_rate", "loop_rate", "length_mean", "length_median"};
  return names;
}

Threshold ParseThreshold(const std::string& text, const std::string& what) {
  Threshold t;
  std::string number = text;
  if (text.starts_with("abs:")) {
    t.absolute = true;
    number = text.substr(4);
  } else if (text.starts_with("rel:")) {
    number = text.substr(4);
  }
  size_t used = 0;
  try {
    t.value = std::stod(number, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != number.size() || !(t.value >= 0))
    Fail(ErrorKind::kInvalidInput,
         "{}: threshold \"{}\" is not a non-negative number (forms: 0.02, rel:0.02, abs:0.01)",
         what, text);
  return t;
}

GateResult RunGate(const json& report, const GateOptions& options) {
  GateResult result;
  for (const auto& [name, t] : options.capabilities) {
    bool found = false;
    for (const json& cap : report["capabilities"]) found |= cap["name"] == name;
    if (!found)
      Fail(ErrorKind::kInvalidInput, "--capability {}: the report has no capability of that name",
           name);
  }
  for (const json& cap : report["capabilities"]) {
    const auto it = options.capabilities.find(cap["name"].get<std::string>());
    const Threshold t =
        it != options.capabilities.end() ? it->second : Threshold{options.max_regression, false};
    result.checks.push_back(CapabilityCheck(cap, t, options));
  }
  const json& dist = report.contains("distribution") ? report["distribution"] : json(nullptr);
  std::map<std::string, double> metrics = options.metrics;
  if (!dist.is_null() && !metrics.contains("ppl")) metrics["ppl"] = options.max_regression;
  for (const auto& [name, limit] : metrics) {
    if (std::find(GateMetricNames().begin(), GateMetricNames().end(), name) ==
        GateMetricNames().end())
      Fail(ErrorKind::kInvalidInput, "--metric {}: unknown metric (known: {})", name,
           fmt::join(GateMetricNames(), ", "));
    std::optional<GateCheck> c;
    if (!dist.is_null()) c = DistributionCheck(dist, name, limit, options);
    if (!c) c = ShiftCheck(report["shift"], name, limit, options);
    if (!c)
      Fail(ErrorKind::kInvalidInput, "--metric {}: the report has no value for it ({})", name,
           name == "ppl" || name == "kld" || name == "same_top" ? "run eval with --text"
                                                                : "run eval with generate suites");
    result.checks.push_back(*c);
  }
  for (const GateCheck& c : result.checks) result.passed &= c.passed;
  return result;
}

}  // namespace qforge::report
