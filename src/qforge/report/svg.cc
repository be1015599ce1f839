// SVG bar chart, histogram and scatter plot.
#include "qforge/report/svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "qforge/report/text_format.h"

namespace qforge::report {
namespace {

constexpr const char* kBaseColor = "#4c78a8";
constexpr const char* kCandColor = "#f58518";

std::string Open(int width, int height, const std::string& title, const std::string& cls) {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart {}\" width=\"{}\" height=\"{}\" "
      "viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\">\n<title>{}</title>\n"
      "<text x=\"{}\" y=\"16\" text-anchor=\"middle\" font-weight=\"bold\">{}</text>\n",
      cls, width, height, width, height, EscapeXml(title), EscapeXml(title), width / 2,
      EscapeXml(title));
}

std::string Whisker(double x, double y_low, double y_high) {
  return fmt::format(
      "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#222\"/>"
      "<line x1=\"{3:.1f}\" y1=\"{1:.1f}\" x2=\"{4:.1f}\" y2=\"{1:.1f}\" stroke=\"#222\"/>"
      "<line x1=\"{3:.1f}\" y1=\"{2:.1f}\" x2=\"{4:.1f}\" y2=\"{2:.1f}\" stroke=\"#222\"/>\n",
      x, y_low, y_high, x - 4, x + 4);
}

}  // namespace

std::string BarChartSvg(const std::vector<BarGroup>& groups, const std::string& title) {
  const int left = 50, top = 30, plot_h = 200, group_w = 110, bottom = 60;
  const int width = std::max(380, left + std::max<int>(1, int(groups.size())) * group_w + 20);
  const int height = top + plot_h + bottom;
  auto y = [&](double v) { return top + plot_h * (1 - std::clamp(v, 0.0, 1.0)); };
  std::string s = Open(width, height, title, "bars");
  for (int t = 0; t <= 4; ++t) {
    const double v = t / 4.0;
    s += fmt::format(
        "<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>"
        "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\" font-size=\"11\">{:.0f}%</text>\n",
        left, y(v), width - 10, y(v), left - 4, y(v) + 4, 100 * v);
  }
  for (size_t i = 0; i < groups.size(); ++i) {
    const BarGroup& g = groups[i];
    const double x0 = left + double(i) * group_w + 15;
    for (int k = 0; k < 2; ++k) {
      const double v = k ? g.cand : g.base, lo = k ? g.cand_low : g.base_low,
                   hi = k ? g.cand_high : g.base_high;
      const double x = x0 + k * 40;
      s += fmt::format(
          "<rect class=\"bar {}\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"36\" height=\"{:.1f}\" "
          "fill=\"{}\"><title>{} {}: {}</title></rect>\n",
          k ? "cand" : "base", x, y(v), y(0) - y(v), k ? kCandColor : kBaseColor,
          EscapeXml(g.label), k ? "candidate" : "baseline", Percent(v));
      s += Whisker(x + 18, y(lo), y(hi));
      s += fmt::format(
          "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-size=\"10\">{}"
          "</text>\n",
          x + 18, y(v) - 3, Percent(v, 0));
    }
    s += fmt::format(
        "<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\" font-size=\"12\">{}</text>\n", x0 + 38,
        top + plot_h + 18, EscapeXml(g.label));
  }
  s += fmt::format(
      "<rect x=\"{0}\" y=\"{1}\" width=\"10\" height=\"10\" fill=\"{2}\"/><text x=\"{3}\" "
      "y=\"{4}\" "
      "font-size=\"11\">baseline</text><rect x=\"{5}\" y=\"{1}\" width=\"10\" height=\"10\" "
      "fill=\"{6}\"/><text x=\"{7}\" y=\"{4}\" font-size=\"11\">candidate (whiskers: 95% "
      "interval)</text>\n</svg>\n",
      left, height - 22, kBaseColor, left + 14, height - 13, left + 90, kCandColor, left + 104);
  return s;
}

std::string HistogramSvg(const std::vector<double>& edges, const std::vector<double>& counts,
                         const std::string& title, const std::string& x_label) {
  const int left = 50, top = 30, plot_h = 180, bar_w = 18, bottom = 50;
  const int width = left + int(counts.size()) * bar_w + 20, height = top + plot_h + bottom;
  const double max = std::max(1.0, *std::max_element(counts.begin(), counts.end()));
  std::string s = Open(width, height, title, "histogram");
  for (size_t i = 0; i < counts.size(); ++i) {
    const double h = plot_h * counts[i] / max;
    s += fmt::format(
        "<rect class=\"bin\" x=\"{}\" y=\"{:.1f}\" width=\"{}\" height=\"{:.1f}\" fill=\"{}\">"
        "<title>[{:.2g}, {:.2g}): {}</title></rect>\n",
        left + int(i) * bar_w, top + plot_h - h, bar_w - 2, h, kCandColor, edges[i], edges[i + 1],
        counts[i]);
  }
  for (size_t i = 0; i < edges.size(); ++i) {
    const double l = std::log10(edges[i]);
    if (std::abs(l - std::round(l)) > 1e-9) continue;  // label whole decades only
    s +=
        fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\">1e{}</text>\n",
                    left + int(i) * bar_w, top + plot_h + 15, int(std::round(l)));
  }
  s += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\">max count {:.0f}</text>", 4, top + 10,
                   max);
  s += fmt::format(
      "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"12\">{}</text>\n</svg>\n",
      width / 2, height - 10, EscapeXml(x_label));
  return s;
}

std::string ScatterSvg(const std::vector<ScatterPoint>& points, const std::string& title,
                       const std::string& x_label, const std::string& y_label) {
  const int left = 60, top = 30, plot_w = 420, plot_h = 220, bottom = 50;
  const int width = left + plot_w + 80, height = top + plot_h + bottom;
  double x_lo = 1e300, x_hi = 0, y_lo = 1e300, y_hi = -1e300;
  for (const auto& p : points) {
    x_lo = std::min(x_lo, std::log10(std::max(p.x, 1.0)));
    x_hi = std::max(x_hi, std::log10(std::max(p.x, 1.0)));
    y_lo = std::min(y_lo, p.y);
    y_hi = std::max(y_hi, p.y);
  }
  if (x_hi - x_lo < 1e-9) x_lo -= 0.5, x_hi += 0.5;
  if (y_hi - y_lo < 1e-9) y_lo -= 0.05, y_hi += 0.05;
  auto px = [&](double x) {
    return left + plot_w * (std::log10(std::max(x, 1.0)) - x_lo) / (x_hi - x_lo) * 0.9 +
           plot_w * 0.05;
  };
  auto py = [&](double y) {
    return top + plot_h - plot_h * ((y - y_lo) / (y_hi - y_lo) * 0.9 + 0.05);
  };
  std::string s = Open(width, height, title, "scatter");
  s += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>\n", left,
      top, plot_w, plot_h);
  // Axis ends: the data range (the points sit 5% inside it).
  const double y_min = y_lo, y_max = y_hi;
  s += fmt::format(
      "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\" font-size=\"10\">{:.4g}</text>"
      "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\" font-size=\"10\">{:.4g}</text>\n",
      left - 3, py(y_max) + 3, y_max, left - 3, py(y_min) + 3, y_min);
  for (double e = std::ceil(x_lo); e <= std::floor(x_hi); e += 1)
    s += fmt::format(
        "<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\" font-size=\"10\">1e{}</text>\n",
        px(std::pow(10.0, e)), top + plot_h + 14, int(e));
  for (const auto& p : points)
    s += fmt::format(
        "<circle class=\"point\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"5\" fill=\"{}\"><title>{}</title>"
        "</circle><text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\">{}</text>\n",
        px(p.x), py(p.y), kCandColor, EscapeXml(p.label), px(p.x) + 7, py(p.y) - 6,
        EscapeXml(p.label));
  s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"12\">{}</text>",
                   left + plot_w / 2, height - 10, EscapeXml(x_label));
  s += fmt::format(
      "<text x=\"14\" y=\"{}\" font-size=\"12\" transform=\"rotate(-90 14 {})\" "
      "text-anchor=\"middle\">{}</text>\n</svg>\n",
      top + plot_h / 2, top + plot_h / 2, EscapeXml(y_label));
  return s;
}

}  // namespace qforge::report
