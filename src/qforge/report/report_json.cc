// EvalResult -> report.json, and loading a report back.
#include "qforge/report/report_json.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "qforge/core/error.h"
#include "qforge/eval/cache.h"
#include "qforge/io/mapped_file.h"
#include "qforge/report/schema.h"

namespace qforge::report {
namespace {

using nlohmann::json;

json Percentiles(const std::vector<eval::NamedPercentile>& points) {
  json j = json::object();
  for (const auto& p : points) j[p.name] = p.value;
  return j;
}

// Decades 1e-6 .. 1e1 in quarter-decade bins; the first bin also holds everything smaller (KLD
// can be 0 or round to a tiny negative number), the last everything larger.
json KldHistogram(const std::vector<float>& values) {
  constexpr double kLow = -6, kHigh = 1, kStep = 0.25;
  const int bins = int((kHigh - kLow) / kStep);
  std::vector<double> edges;
  for (int i = 0; i <= bins; ++i) edges.push_back(std::pow(10.0, kLow + kStep * i));
  std::vector<int64_t> counts(size_t(bins), 0);
  for (float v : values) {
    const double l = v > 0 ? std::log10(double(v)) : kLow;
    counts[size_t(std::clamp(int(std::floor((l - kLow) / kStep)), 0, bins - 1))]++;
  }
  return {{"edges", edges}, {"counts", counts}};
}

json Distribution(const eval::DistributionResult& d) {
  return {{"chunks", d.chunks},
          {"tokens", d.count},
          {"ppl_base", d.ppl_base},
          {"ppl_base_unc", d.ppl_base_unc},
          {"ppl_cand", d.ppl_cand},
          {"ppl_cand_unc", d.ppl_cand_unc},
          {"ppl_ratio", d.ppl_ratio},
          {"ppl_ratio_unc", d.ppl_ratio_unc},
          {"log_ppl_ratio", d.log_ppl_ratio},
          {"log_ppl_ratio_unc", d.log_ppl_ratio_unc},
          {"ppl_diff", d.ppl_diff},
          {"ppl_diff_unc", d.ppl_diff_unc},
          {"log_ppl_cor", d.log_ppl_cor},
          {"kld_mean", d.kld_mean},
          {"kld_unc", d.kld_unc},
          {"kld_percentiles", Percentiles(d.kld_percentiles)},
          {"kld_histogram", KldHistogram(d.kld_values)},
          {"p_diff_mean", d.p_diff_mean},
          {"p_diff_unc", d.p_diff_unc},
          {"p_diff_rms", d.p_diff_rms},
          {"p_diff_rms_unc", d.p_diff_rms_unc},
          {"p_diff_percentiles", Percentiles(d.p_diff_percentiles)},
          {"same_top", d.same_top},
          {"same_top_unc", d.same_top_unc},
          {"seconds", d.seconds}};
}

json Capability(const eval::CapabilityComparison& c) {
  json flipped = json::array();
  for (const auto& f : c.flipped)
    flipped.push_back({{"id", f.id},
                       {"prompt", f.prompt},
                       {"answer", f.answer},
                       {"base_output", f.base_output},
                       {"cand_output", f.cand_output},
                       {"direction", f.right_to_wrong ? "right_to_wrong" : "wrong_to_right"}});
  json j = {{"name", c.name},
            {"cases", c.cases},
            {"base_score", c.base_score},
            {"cand_score", c.cand_score},
            {"delta", c.delta.estimate},
            {"delta_low", c.delta.low},
            {"delta_high", c.delta.high},
            {"relative_delta", c.relative_delta},
            {"right_to_wrong", c.right_to_wrong},
            {"wrong_to_right", c.wrong_to_right},
            {"mcnemar_p", c.mcnemar_p},
            {"flipped", flipped}};
  if (c.has_choice) j["acc_norm"] = {{"base", c.base_score_norm}, {"cand", c.cand_score_norm}};
  return j;
}

}  // namespace

json BuildReport(const eval::EvalResult& r, const eval::EvalOptions& options,
                 const ReportContext& context) {
  json report;
  report["schema_version"] = kSchemaVersion;
  report["tool"] = {{"name", "qforge"}, {"version", context.qforge_version}};
  report["baseline"] = {
      {"path", r.base_path}, {"hash", eval::HexKey(r.base_hash)}, {"bytes", r.base_bytes}};
  report["candidate"] = {
      {"path", r.cand_path}, {"hash", eval::HexKey(r.cand_hash)}, {"bytes", r.cand_bytes}};
  report["settings"] = {{"text", context.text_path},
                        {"n_ctx", context.n_ctx},
                        {"n_chunks", context.n_chunks},
                        {"threads", context.threads},
                        {"confidence", options.bootstrap.level},
                        {"bootstrap_resamples", options.bootstrap.resamples},
                        {"bootstrap_seed", options.bootstrap.seed},
                        {"abstain_patterns", options.shift.abstain_patterns},
                        {"repeat_n", options.shift.repeat_n},
                        {"distinct_n", options.shift.distinct_n}};
  report["distribution"] = r.distribution ? Distribution(*r.distribution) : json(nullptr);
  report["suites"] = json::array();
  for (const auto& s : r.suites)
    report["suites"].push_back({{"name", s.name},
                                {"path", s.path},
                                {"hash", eval::HexKey(s.hash)},
                                {"cases", s.cases},
                                {"baseline_from_cache", s.baseline_from_cache}});
  report["capabilities"] = json::array();
  for (const auto& c : r.capabilities) report["capabilities"].push_back(Capability(c));
  report["shift"] = json::array();
  for (const auto& m : r.shift)
    report["shift"].push_back({{"name", m.name},
                               {"base", m.base},
                               {"cand", m.cand},
                               {"delta", m.delta.estimate},
                               {"delta_low", m.delta.low},
                               {"delta_high", m.delta.high}});
  const double both = r.seconds_text > 0 ? 2.0 * double(r.tokens_text) / r.seconds_text : 0;
  report["throughput"] = {{"text_tokens_per_model", r.tokens_text},
                          {"text_seconds", r.seconds_text},
                          {"text_tokens_per_s", both},
                          {"suite_seconds_base", r.seconds_suites_base},
                          {"suite_seconds_cand", r.seconds_suites_cand}};
  return report;
}

json LoadReport(const std::string& path) {
  json j;
  try {
    j = json::parse(io::ReadTextFile(path));
  } catch (const json::exception& e) {
    Fail(ErrorKind::kInvalidInput, "{}: not valid JSON: {}", path, e.what());
  }
  const auto problems = ValidateReport(j);
  if (!problems.empty())
    Fail(ErrorKind::kInvalidInput, "{}: not a qforge report: {}{}", path, problems.front(),
         problems.size() > 1 ? fmt::format(" (and {} more problems)", problems.size() - 1) : "");
  return j;
}

}  // namespace qforge::report
