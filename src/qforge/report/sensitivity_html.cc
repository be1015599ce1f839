// Sensitivity chart, table and page.
#include "qforge/report/sensitivity_html.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "qforge/report/text_format.h"

namespace qforge::report {
namespace {

// One colour per storage type in the order they first appear (a Tableau-10 palette, as svg.cc's
// base/candidate colours).
constexpr const char* kPalette[] = {"#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2",
                                    "#eeca3b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac"};

std::map<std::string, const char*> TypeColours(const plan::SensitivityResult& r) {
  std::map<std::string, const char*> colours;
  for (const plan::TensorSensitivity& t : r.tensors) {
    const std::string type(Traits(t.type).name);
    if (!colours.contains(type)) {
      const size_t n = colours.size() % std::size(kPalette);
      colours[type] = kPalette[n];
    }
  }
  return colours;
}

std::string Legend(const std::map<std::string, const char*>& colours, int x, int y) {
  std::string s;
  for (const auto& [type, colour] : colours) {
    s += fmt::format(
        "<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"{}\" "
        "font-size=\"11\">{}</text>\n",
        x, y, colour, x + 14, y + 9, EscapeXml(type));
    x += 24 + 7 * int(type.size());
  }
  return s;
}

std::string Kb(uint64_t bytes) { return fmt::format("{:.1f} KB", double(bytes) / 1000.0); }

}  // namespace

std::string SensitivityChartSvg(const plan::SensitivityResult& r, size_t max_bars) {
  const size_t n = std::min(r.tensors.size(), max_bars);
  const int label_w = 190, plot_w = 420, top = 30, bar_h = 16, width = label_w + plot_w + 90;
  const int height = top + int(n) * bar_h + 50;
  double max = 0;
  for (size_t i = 0; i < n; ++i) max = std::max(max, r.tensors[i].kld_mean + r.tensors[i].kld_unc);
  if (max <= 0) max = 1;  // every tensor harmless: empty bars on a unit axis
  auto x = [&](double v) { return label_w + plot_w * std::clamp(v, 0.0, max) / max; };
  const auto colours = TypeColours(r);
  const std::string title = fmt::format("KLD when only one tensor is quantized ({})", r.recipe);
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart sensitivity\" width=\"{0}\" "
      "height=\"{1}\" viewBox=\"0 0 {0} {1}\" role=\"img\" "
      "aria-label=\"{2}\">\n<title>{2}</title>\n"
      "<text x=\"{3}\" y=\"16\" text-anchor=\"middle\" font-weight=\"bold\">{2}</text>\n",
      width, height, EscapeXml(title), width / 2);
  for (size_t i = 0; i < n; ++i) {
    const plan::TensorSensitivity& t = r.tensors[i];
    const double y = top + double(i) * bar_h;
    const std::string type(Traits(t.type).name);
    s += fmt::format(
        "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\" font-size=\"11\">{}</text>"
        "<rect class=\"bar\" x=\"{}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\">"
        "<title>{} {} -&gt; {}: KLD {:.6g} +/- {:.2g}</title></rect>\n",
        label_w - 4, y + 11, EscapeXml(t.name), label_w, y + 2, x(t.kld_mean) - label_w, bar_h - 4,
        colours.at(type), EscapeXml(t.name), Traits(t.source).name, type, t.kld_mean, t.kld_unc);
    if (t.kld_unc > 0)
      s += fmt::format(
          "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#222\"/>\n",
          x(t.kld_mean - t.kld_unc), y + bar_h / 2.0, x(t.kld_mean + t.kld_unc), y + bar_h / 2.0);
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"10\">{}</text>\n",
                     x(t.kld_mean + t.kld_unc) + 4, y + 11,
                     t.scanned ? fmt::format("{:.4g}", t.kld_mean) : std::string("kept"));
  }
  const int axis_y = top + int(n) * bar_h + 4;
  s += fmt::format(
      "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#999\"/>"
      "<text x=\"{0}\" y=\"{3}\" font-size=\"10\">0</text>"
      "<text x=\"{2}\" y=\"{3}\" text-anchor=\"end\" font-size=\"10\">{4:.4g}</text>\n",
      label_w, axis_y, label_w + plot_w, axis_y + 12, max);
  s += Legend(colours, label_w, height - 22);
  if (r.tensors.size() > n)
    s += fmt::format("<text x=\"4\" y=\"{}\" font-size=\"11\">{} more tensors not shown</text>\n",
                     height - 13, r.tensors.size() - n);
  return s + "</svg>\n";
}

std::string SensitivitySectionHtml(const plan::SensitivityResult& r, const std::string& model) {
  int scanned = 0;
  for (const plan::TensorSensitivity& t : r.tensors) scanned += t.scanned ? 1 : 0;
  std::string h = fmt::format(
      "<section class=\"sensitivity\"><h2>Tensor sensitivity: {} on <code>{}</code></h2>\n"
      "<p>Each tensor quantized alone (round to nearest at the recipe's type), compared with the "
      "baseline on {} chunks of {} tokens ({} scored tokens; baseline PPL {:.4f}). Cost: {} "
      "forward passes ({} chunks x ({} + 1) runs), {:.1f} s.</p>\n",
      EscapeXml(r.recipe), EscapeXml(model), r.chunks, r.n_ctx, r.scored_tokens, r.ppl_base,
      r.forward_passes, r.chunks, scanned, r.seconds);
  if (!r.note.empty()) h += fmt::format("<p class=\"note\">{}</p>\n", EscapeXml(r.note));
  h += SensitivityChartSvg(r);
  h += "<table><tr><th>rank</th><th class=\"l\">tensor</th><th class=\"l\">type</th>"
       "<th>bytes</th><th>KLD</th><th>+/-</th><th>PPL ratio</th><th>same top</th></tr>\n";
  for (size_t i = 0; i < r.tensors.size(); ++i) {
    const plan::TensorSensitivity& t = r.tensors[i];
    h += fmt::format(
        "<tr><td>{}</td><td class=\"l\">{}</td><td class=\"l\">{} -&gt; {}{}</td><td>{} -&gt; "
        "{}</td><td>{:.6f}</td><td>{:.6f}</td><td>{:.4f}</td><td>{}</td></tr>\n",
        i + 1, EscapeXml(t.name), Traits(t.source).name, Traits(t.type).name,
        t.scanned ? "" : " (kept)", Kb(t.bytes_source), Kb(t.bytes_type), t.kld_mean, t.kld_unc,
        t.ppl_ratio, Percent(t.same_top, 2));
  }
  return h + "</table></section>\n";
}

std::string SensitivityHtmlPage(const plan::SensitivityResult& r, const std::string& model) {
  constexpr const char* kStyle = R"(
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1100px; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; font-size: 13px; }
th { background: #f2f2f2; } td.l, th.l { text-align: left; }
p.note { color: #b00020; }
)";
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>qforge "
      "sensitivity: {}</title><style>{}</style></head><body>\n<h1>qforge sensitivity</h1>\n{}"
      "</body></html>\n",
      EscapeXml(r.recipe), kStyle, SensitivitySectionHtml(r, model));
}

}  // namespace qforge::report
