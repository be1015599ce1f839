// qforge gate: pass or fail a report against regression thresholds; exit 0 pass, 1 regression,
// 2 bad input.
#include "qforge/report/gate.h"

#include "qforge/cli/common.h"
#include "qforge/core/error.h"
#include "qforge/eval/write_text.h"
#include "qforge/report/report_json.h"
#include "qforge/report/summary.h"

namespace qforge::cli {
namespace {

struct GateFlags {
  std::string report;
  double max_regression = 0.02;
  std::vector<std::string> capabilities;  // NAME=THRESHOLD
  std::vector<std::string> metrics;       // NAME=LIMIT
  double significance = -1;
  std::string junit, markdown;
};

std::pair<std::string, std::string> SplitAssignment(const std::string& s, const char* flag) {
  const size_t eq = s.rfind('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == s.size())
    Fail(ErrorKind::kInvalidInput, "{} \"{}\": expected NAME=VALUE", flag, s);
  return {s.substr(0, eq), s.substr(eq + 1)};
}

void Run(const GateFlags& flags) {
  const nlohmann::json r = report::LoadReport(flags.report);
  report::GateOptions o;
  o.max_regression = flags.max_regression;
  for (const std::string& c : flags.capabilities) {
    const auto [name, value] = SplitAssignment(c, "--capability");
    o.capabilities[name] = report::ParseThreshold(value, "--capability " + name);
  }
  for (const std::string& m : flags.metrics) {
    const auto [name, value] = SplitAssignment(m, "--metric");
    // Each metric has fixed units (report/gate.h), so no rel:/abs: prefix.
    if (value.starts_with("abs:") || value.starts_with("rel:"))
      Fail(ErrorKind::kInvalidInput, "--metric {}: a metric's limit has fixed units; give a number",
           name);
    o.metrics[name] = report::ParseThreshold(value, "--metric " + name).value;
  }
  if (flags.significance >= 0) o.significance = flags.significance;
  const report::GateResult g = report::RunGate(r, o);
  fmt::print("{}", report::GateText(r, g));
  if (!flags.junit.empty()) eval::WriteTextAtomic(flags.junit, report::GateJUnit(r, g));
  if (!flags.markdown.empty()) eval::WriteTextAtomic(flags.markdown, report::GateMarkdown(r, g));
  std::fflush(stdout);
  if (!g.passed) throw ExitCode{1};
}

}  // namespace

void RegisterGate(CLI::App& app) {
  auto flags = std::make_shared<GateFlags>();
  CLI::App* verb = app.add_subcommand(
      "gate", "Fail (exit 1) when a report shows a regression beyond the thresholds");
  verb->add_option("report", flags->report, "report.json from qforge eval")
      ->required()
      ->check(CLI::ExistingFile);
  verb->add_option("--max-regression", flags->max_regression,
                   "Largest allowed relative drop of any capability score and rise of PPL")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e9));
  verb->add_option("--capability", flags->capabilities,
                   "NAME=0.01 (relative), NAME=abs:0.01 (absolute) for one capability; repeatable");
  verb->add_option("--metric", flags->metrics,
                   "NAME=LIMIT for ppl, kld, same_top, eos_rate, distinct_n, abstain_rate, "
                   "repeat_rate, loop_rate, length_mean, length_median; repeatable");
  verb->add_option("--significance", flags->significance,
                   "Fail only when the regression is also significant at this level (e.g. 0.05)")
      ->check(CLI::Range(0.0, 1.0));
  verb->add_option("--junit", flags->junit, "Write a JUnit XML file (one test case per check)");
  verb->add_option("--markdown", flags->markdown,
                   "Write a Markdown summary (pull-request comment)");
  verb->callback([flags] { Run(*flags); });
}

}  // namespace qforge::cli
