// HTML page assembly.
#include "qforge/report/html.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>

#include "qforge/report/svg.h"
#include "qforge/report/text_format.h"

namespace qforge::report {
namespace {

using nlohmann::json;

constexpr const char* kStyle = R"(
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1100px; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; font-size: 13px; }
th { background: #f2f2f2; } td.l, th.l { text-align: left; }
td.bad { color: #b00020; font-weight: bold; } td.good { color: #1b7f3b; }
pre { margin: 0; white-space: pre-wrap; font-size: 12px; text-align: left; }
section.candidate { border-top: 2px solid #888; margin-top: 2em; }
)";

std::string Name(const json& r) {
  return std::filesystem::path(r["candidate"]["path"].get<std::string>()).filename().string();
}

std::string Bytes(double b) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (b >= 1000 && u < 4) b /= 1000, ++u;
  return fmt::format("{:.2f} {}", b, units[u]);
}

// Wilson score 95% interval of an accuracy over n cases (the bars' whiskers): unlike the normal
// approximation it stays inside [0, 1] and is not empty at 0% or 100%.
std::pair<double, double> Wilson(double p, double n) {
  if (n <= 0) return {p, p};
  const double z = 1.96, d = 1 + z * z / n;
  const double c = (p + z * z / (2 * n)) / d;
  const double h = z * std::sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d;
  return {std::max(0.0, c - h), std::min(1.0, c + h)};
}

std::string Distribution(const json& d) {
  if (d.is_null()) return "<p>No text was given (--text): no distribution metrics.</p>\n";
  std::string h =
      "<h3>Text distribution (llama.cpp's perplexity protocol)</h3>\n<table class=\"dist\">\n";
  auto row = [&](const char* name, const std::string& value) {
    h += fmt::format("<tr><th class=\"l\">{}</th><td>{}</td></tr>\n", name, value);
  };
  auto pm = [&](const char* v, const char* u, int digits) {
    return fmt::format("{:.{}f} ± {:.{}f}", d[v].get<double>(), digits, d[u].get<double>(), digits);
  };
  row("PPL baseline", pm("ppl_base", "ppl_base_unc", 4));
  row("PPL candidate", pm("ppl_cand", "ppl_cand_unc", 4));
  row("PPL ratio", pm("ppl_ratio", "ppl_ratio_unc", 5));
  row("ln PPL ratio", pm("log_ppl_ratio", "log_ppl_ratio_unc", 5));
  row("Mean KLD", pm("kld_mean", "kld_unc", 6));
  for (const char* p : {"median", "99", "99.9", "max"})
    if (d["kld_percentiles"].contains(p))
      row(fmt::format("KLD {}", p).c_str(),
          fmt::format("{:.6f}", d["kld_percentiles"][p].get<double>()));
  row("RMS Δp", fmt::format("{} ± {}", Percent(d["p_diff_rms"].get<double>(), 3),
                            Percent(d.value("p_diff_rms_unc", 0.0), 3)));
  row("Same top token", fmt::format("{} ± {}", Percent(d["same_top"].get<double>(), 3),
                                    Percent(d["same_top_unc"].get<double>(), 3)));
  row("Scored tokens", fmt::format("{}", d["tokens"].get<int64_t>()));
  h += "</table>\n";
  if (d.contains("kld_histogram")) {
    const auto edges = d["kld_histogram"]["edges"].get<std::vector<double>>();
    const auto counts = d["kld_histogram"]["counts"].get<std::vector<double>>();
    h += HistogramSvg(edges, counts, "KL divergence per token (log bins)", "KL(base || candidate)");
  }
  return h;
}

std::string Capabilities(const json& r) {
  std::vector<BarGroup> groups;
  std::string t =
      "<table class=\"caps\"><tr><th class=\"l\">capability</th><th>cases</th><th>baseline</th>"
      "<th>candidate</th><th>delta [95% CI]</th><th>right→wrong</th><th>wrong→right</th>"
      "<th>McNemar p</th></tr>\n";
  for (const json& c : r["capabilities"]) {
    const double n = c["cases"].get<double>(), b = c["base_score"].get<double>(),
                 k = c["cand_score"].get<double>();
    const auto [bl, bh] = Wilson(b, n);
    const auto [kl, kh] = Wilson(k, n);
    groups.push_back({c["name"].get<std::string>(), b, bl, bh, k, kl, kh});
    const double delta = c["delta"].get<double>();
    t += fmt::format(
        "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{} [{}, "
        "{}]</td><td>{}</td><td>{}</td><td>{:.3g}</td></tr>\n",
        EscapeXml(c["name"].get<std::string>()), int(n), Percent(b), Percent(k),
        delta < 0 ? "bad" : "good", SignedPercent(delta),
        SignedPercent(c["delta_low"].get<double>()), SignedPercent(c["delta_high"].get<double>()),
        c["right_to_wrong"].get<int>(), c["wrong_to_right"].get<int>(),
        c["mcnemar_p"].get<double>());
  }
  t += "</table>\n";
  return "<h3>Capabilities</h3>\n" + BarChartSvg(groups, "Accuracy per capability") + t;
}

std::string Flipped(const json& r) {
  std::string h =
      "<h3>Flipped cases</h3>\n<table class=\"flipped\"><tr><th class=\"l\">case</th>"
      "<th class=\"l\">prompt</th><th class=\"l\">answer</th><th class=\"l\">baseline"
      "</th><th class=\"l\">candidate</th></tr>\n";
  int rows = 0;
  for (const json& c : r["capabilities"])
    for (const json& f : c["flipped"]) {
      if (rows++ >= 200) break;  // keep the page small; the JSON has them all
      const bool r2w = f["direction"] == "right_to_wrong";
      h += fmt::format(
          "<tr><td class=\"l\">{} {}</td><td class=\"l\"><pre>{}</pre></td><td class=\"l\"><pre>{}"
          "</pre></td><td class=\"l {}\"><pre>{}</pre></td><td class=\"l {}\"><pre>{}</pre></td>"
          "</tr>\n",
          EscapeXml(f["id"].get<std::string>()), r2w ? "✗" : "✓",
          EscapeXml(f["prompt"].get<std::string>()), EscapeXml(f["answer"].get<std::string>()),
          r2w ? "good" : "bad", EscapeXml(f["base_output"].get<std::string>()),
          r2w ? "bad" : "good", EscapeXml(f["cand_output"].get<std::string>()));
    }
  if (rows == 0) return "<h3>Flipped cases</h3>\n<p>None: every case scored the same.</p>\n";
  return h + "</table>\n";
}

std::string Shift(const json& r) {
  if (r["shift"].empty()) return "";
  std::string h =
      "<h3>Output-distribution shift (generations)</h3>\n<table class=\"shift\"><tr>"
      "<th class=\"l\">metric</th><th>baseline</th><th>candidate</th><th>delta [95% "
      "CI]</th></tr>\n";
  for (const json& m : r["shift"])
    h += fmt::format(
        "<tr><td class=\"l\">{}</td><td>{:.4g}</td><td>{:.4g}</td><td>{:+.4g} [{:+.4g}, "
        "{:+.4g}]</td></tr>\n",
        EscapeXml(m["name"].get<std::string>()), m["base"].get<double>(), m["cand"].get<double>(),
        m["delta"].get<double>(), m["delta_low"].get<double>(), m["delta_high"].get<double>());
  return h + "</table>\n";
}

double MeanScore(const json& r) {
  double s = 0;
  for (const json& c : r["capabilities"]) s += c["cand_score"].get<double>();
  return r["capabilities"].empty() ? 0 : s / double(r["capabilities"].size());
}

std::string Ladder(const std::vector<json>& reports) {
  std::vector<ScatterPoint> quality, kld;
  for (const json& r : reports) {
    const double bytes = r["candidate"]["bytes"].get<double>();
    if (!r["capabilities"].empty()) quality.push_back({Name(r), bytes, MeanScore(r)});
    if (!r["distribution"].is_null())
      kld.push_back({Name(r), bytes, r["distribution"]["kld_mean"].get<double>()});
  }
  std::string h = "<h2>Precision ladder</h2>\n";
  if (!quality.empty())
    h += ScatterSvg(quality, "Size vs mean capability score", "candidate file size (log)",
                    "mean accuracy");
  if (!kld.empty())
    h += ScatterSvg(kld, "Size vs mean KLD", "candidate file size (log)", "mean KLD");
  return h;
}

}  // namespace

std::string RenderHtml(const std::vector<json>& reports) {
  std::string h = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>qforge "
      "report</title>"
      "<style>{}</style></head><body>\n<h1>qforge evaluation report</h1>\n",
      kStyle);
  if (reports.size() > 1) h += Ladder(reports);
  for (const json& r : reports) {
    h += fmt::format(
        "<section class=\"candidate\"><h2>{}</h2>\n<p>Candidate <code>{}</code> ({}) against "
        "baseline <code>{}</code> ({}); qforge {}.</p>\n",
        EscapeXml(Name(r)), EscapeXml(r["candidate"]["path"].get<std::string>()),
        Bytes(r["candidate"]["bytes"].get<double>()),
        EscapeXml(r["baseline"]["path"].get<std::string>()),
        Bytes(r["baseline"]["bytes"].get<double>()),
        EscapeXml(r["tool"]["version"].get<std::string>()));
    h += Distribution(r.contains("distribution") ? r["distribution"] : json(nullptr));
    if (!r["capabilities"].empty()) h += Capabilities(r) + Flipped(r);
    h += Shift(r) + "</section>\n";
  }
  return h + "</body></html>\n";
}

}  // namespace qforge::report
