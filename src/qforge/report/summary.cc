// Text, Markdown and JUnit renderings of a gate result.
#include "qforge/report/summary.h"

#include <fmt/format.h>

#include "qforge/report/text_format.h"

namespace qforge::report {
namespace {

using nlohmann::json;

std::string Models(const json& r) {
  return fmt::format("candidate {} vs baseline {}", r["candidate"]["path"].get<std::string>(),
                     r["baseline"]["path"].get<std::string>());
}

std::string Regression(const GateCheck& c) {
  // Positive means worse, in the threshold's units.
  return c.absolute ? fmt::format("{:+.4g}", c.regression) : SignedPercent(c.regression, 2);
}

std::string Limit(const GateCheck& c) {
  return c.absolute ? fmt::format("{:.4g}", c.threshold) : Percent(c.threshold, 2);
}

}  // namespace

std::string GateText(const json& report, const GateResult& gate) {
  std::string out =
      fmt::format("qforge gate: {} ({})\n", gate.passed ? "PASS" : "FAIL", Models(report));
  for (const GateCheck& c : gate.checks) out += "  " + c.message + "\n";
  for (const json& cap : report["capabilities"]) {
    int shown = 0;
    for (const json& f : cap["flipped"]) {
      if (f["direction"] != "right_to_wrong" || shown++ >= 3) continue;
      out += fmt::format("  flipped in {}: {} answer \"{}\" baseline \"{}\" candidate \"{}\"\n",
                         cap["name"].get<std::string>(), f["id"].get<std::string>(),
                         f["answer"].get<std::string>(), f["base_output"].get<std::string>(),
                         f["cand_output"].get<std::string>());
    }
  }
  return out;
}

std::string GateMarkdown(const json& report, const GateResult& gate) {
  std::string md = fmt::format("## qforge gate: {}\n\n{}\n\n", gate.passed ? "✅ PASS" : "❌ FAIL",
                               EscapeMarkdown(Models(report)));
  md += "| check | baseline | candidate | regression | limit | p | result |\n";
  md += "|---|---|---|---|---|---|---|\n";
  for (const GateCheck& c : gate.checks)
    md += fmt::format("| {} {} | {:.4g} | {:.4g} | {} | {} | {} | {} |\n", c.kind,
                      EscapeMarkdown(c.name), c.base, c.cand, Regression(c), Limit(c),
                      c.p_value >= 0 ? fmt::format("{:.3g}", c.p_value) : "–",
                      c.passed ? "pass" : "**FAIL**");
  md +=
      "\n| capability | cases | baseline | candidate | delta [95% CI] | right→wrong | "
      "wrong→right |\n|---|---|---|---|---|---|---|\n";
  for (const json& cap : report["capabilities"])
    md += fmt::format(
        "| {} | {} | {} | {} | {} [{}, {}] | {} | {} |\n",
        EscapeMarkdown(cap["name"].get<std::string>()), cap["cases"].get<int>(),
        Percent(cap["base_score"].get<double>()), Percent(cap["cand_score"].get<double>()),
        SignedPercent(cap["delta"].get<double>()), SignedPercent(cap["delta_low"].get<double>()),
        SignedPercent(cap["delta_high"].get<double>()), cap["right_to_wrong"].get<int>(),
        cap["wrong_to_right"].get<int>());
  const json& d = report["distribution"];
  if (!d.is_null())
    md += fmt::format(
        "\nPPL {:.4f} → {:.4f} (ratio {:.4f} ± {:.4f}), mean KLD {:.6f} ± {:.6f}, same top {} ± "
        "{}\n",
        d["ppl_base"].get<double>(), d["ppl_cand"].get<double>(), d["ppl_ratio"].get<double>(),
        d["ppl_ratio_unc"].get<double>(), d["kld_mean"].get<double>(), d["kld_unc"].get<double>(),
        Percent(d["same_top"].get<double>(), 2), Percent(d["same_top_unc"].get<double>(), 2));
  return md;
}

std::string GateJUnit(const json& report, const GateResult& gate) {
  int failures = 0;
  for (const GateCheck& c : gate.checks) failures += c.passed ? 0 : 1;
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += fmt::format("<testsuites name=\"qforge gate\" tests=\"{}\" failures=\"{}\">\n",
                   gate.checks.size(), failures);
  x += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\">\n",
                   EscapeXml(report["candidate"]["path"].get<std::string>()), gate.checks.size(),
                   failures);
  for (const GateCheck& c : gate.checks) {
    x +=
        fmt::format("    <testcase classname=\"qforge.{}\" name=\"{}\"", c.kind, EscapeXml(c.name));
    if (c.passed) {
      x += "/>\n";
    } else {
      x += fmt::format(">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                       EscapeXml(c.message), EscapeXml(c.message));
    }
  }
  x += "  </testsuite>\n</testsuites>\n";
  return x;
}

}  // namespace qforge::report
