// The page of `qforge auto`: rungs table, size-vs-quality charts, step 2's sensitivity.
#include "qforge/report/auto_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "qforge/report/sensitivity_html.h"
#include "qforge/report/svg.h"
#include "qforge/report/text_format.h"

namespace qforge::report {
namespace {

using nlohmann::json;

constexpr const char* kStyle = R"(
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1200px; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; font-size: 13px; }
th { background: #f2f2f2; } td.l, th.l { text-align: left; }
tr.chosen td { background: #e8f5e9; font-weight: bold; }
td.bad { color: #b00020; } td.good { color: #1b7f3b; } td.muted { color: #888; }
)";

std::string Bytes(double b) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (b >= 1000 && u < 4) b /= 1000, ++u;
  return fmt::format("{:.2f} {}", b, units[u]);
}

// Capability names in the order of their first appearance over the rungs.
std::vector<std::string> CapabilityNames(const json& rungs) {
  std::vector<std::string> names;
  for (const json& r : rungs)
    for (const json& c : r["capabilities"])
      if (std::find(names.begin(), names.end(), c["name"].get<std::string>()) == names.end())
        names.push_back(c["name"].get<std::string>());
  return names;
}

std::string RungRow(const json& r, bool chosen, const std::vector<std::string>& caps) {
  const std::string status = r["status"].get<std::string>();
  const bool evaluated = r["evaluated"].get<bool>();
  std::string h = fmt::format(
      "<tr{}><td class=\"l\">{}{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{:.3f}</td>",
      chosen ? " class=\"chosen\"" : "", chosen ? "&#9733; " : "",
      EscapeXml(r["label"].get<std::string>()), EscapeXml(r["stage"].get<std::string>()),
      Bytes(r["predicted"]["file_bytes"].get<double>()),
      r["real_bytes"].get<uint64_t>() ? Bytes(r["real_bytes"].get<double>()) : "&ndash;",
      r["real_bytes"].get<uint64_t>() ? r["real_bpw"].get<double>()
                                      : r["predicted"]["bpw"].get<double>());
  if (evaluated && !r["text"].is_null())
    h += fmt::format("<td>{:.5f}</td><td>{:.4f}</td><td>{:.1f}%</td>",
                     r["text"]["kld"].get<double>(), r["text"]["ppl_ratio"].get<double>(),
                     100 * r["text"]["same_top"].get<double>());
  else
    h += "<td>&ndash;</td><td>&ndash;</td><td>&ndash;</td>";
  for (const std::string& name : caps) {
    std::string cell = "&ndash;";
    for (const json& c : r["capabilities"])
      if (c["name"] == name) cell = fmt::format("{:.1f}%", 100 * c["cand"].get<double>());
    h += "<td>" + cell + "</td>";
  }
  std::string why;
  for (const json& f : r["failing"]) why += (why.empty() ? "" : "; ") + f.get<std::string>();
  const char* cls = status == "passed" ? "good" : evaluated ? "bad" : "muted";
  h += fmt::format(
      "<td class=\"l {}\">{}</td><td class=\"l\">{}</td><td>{}</td></tr>\n", cls, EscapeXml(status),
      EscapeXml(why),
      r["cached"].get<bool>() ? "cached" : fmt::format("{:.1f} s", r["seconds"].get<double>()));
  return h;
}

std::string Charts(const json& a, const std::vector<std::string>& caps) {
  const int chosen = a["chosen_index"].get<int>();
  std::vector<ScatterPoint> kld;
  std::map<std::string, std::vector<ScatterPoint>> scores;
  for (size_t i = 0; i < a["rungs"].size(); ++i) {
    const json& r = a["rungs"][i];
    if (!r["evaluated"].get<bool>()) continue;
    const std::string label = int(i) == chosen ? "* " + r["label"].get<std::string>() + " (chosen)"
                                               : r["label"].get<std::string>();
    const double x = r["real_bytes"].get<double>();
    if (!r["text"].is_null()) kld.push_back({label, x, r["text"]["kld"].get<double>()});
    for (const json& c : r["capabilities"])
      scores[c["name"].get<std::string>()].push_back({label, x, c["cand"].get<double>()});
  }
  std::string h = "<h2>Size vs quality</h2>\n";
  if (!kld.empty())
    h += ScatterSvg(kld, "Size vs mean KLD (lower is better)", "file size on disk (log)",
                    "mean KLD vs the baseline");
  for (const std::string& name : caps)
    if (!scores[name].empty())
      h += ScatterSvg(scores[name], "Size vs " + name + " score", "file size on disk (log)",
                      name + " accuracy");
  return h;
}

std::string Promotions(const json& mixed) {
  if (!mixed["ran"].get<bool>()) return "";
  std::string h = fmt::format(
      "<h2>Step 2: mixed precision from {} toward {}</h2>\n<p>Tensors ranked by KLD bought per "
      "extra byte (the first {} shown).</p>\n<table><tr><th class=\"l\">tensor</th><th>from</th>"
      "<th>to</th><th>extra bytes</th><th>KLD gain</th></tr>\n",
      EscapeXml(mixed["from"].get<std::string>()), EscapeXml(mixed["to"].get<std::string>()),
      std::min<size_t>(mixed["promotions"].size(), 30));
  size_t n = 0;
  for (const json& p : mixed["promotions"]) {
    if (n++ == 30) break;
    h += fmt::format(
        "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.3g}</td></tr>\n",
        EscapeXml(p["name"].get<std::string>()), EscapeXml(p["from"].get<std::string>()),
        EscapeXml(p["to"].get<std::string>()), p["extra_bytes"].get<int64_t>(),
        p["kld_gain"].get<double>());
  }
  return h + "</table>\n";
}

}  // namespace

std::string AutoReportHtml(const json& a, const std::vector<plan::SensitivityResult>& scans,
                           const std::string& model) {
  const std::vector<std::string> caps = CapabilityNames(a["rungs"]);
  std::string h = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>qforge auto"
      "</title><style>{}</style></head><body>\n<h1>qforge auto: {}</h1>\n<p>Budget: {}. ",
      kStyle, EscapeXml(model),
      a["budget"]["text"].get<std::string>().empty()
          ? "none"
          : EscapeXml(a["budget"]["text"].get<std::string>()));
  if (a["chosen"].is_null())
    h += fmt::format("<b>Nothing passes</b>: {}.</p>\n", EscapeXml(a["why"].get<std::string>()));
  else
    h += fmt::format("Chosen: <b>{}</b>: {}.</p>\n", EscapeXml(a["chosen"].get<std::string>()),
                     EscapeXml(a["why"].get<std::string>()));
  h += "<h2>Rungs</h2>\n<table><tr><th class=\"l\">recipe</th><th class=\"l\">stage</th>"
       "<th>predicted</th><th>on disk</th><th>bpw</th><th>KLD</th><th>PPL ratio</th>"
       "<th>same top</th>";
  for (const std::string& c : caps) h += "<th>" + EscapeXml(c) + "</th>";
  h += "<th class=\"l\">verdict</th><th class=\"l\">failing checks / "
       "reason</th><th>time</th></tr>\n";
  const int chosen = a["chosen_index"].get<int>();
  for (size_t i = 0; i < a["rungs"].size(); ++i)
    h += RungRow(a["rungs"][i], int(i) == chosen, caps);
  h += "</table>\n" + Charts(a, caps) + Promotions(a["mixed"]);
  for (const plan::SensitivityResult& s : scans) h += SensitivitySectionHtml(s, model);
  return h + "</body></html>\n";
}

}  // namespace qforge::report
