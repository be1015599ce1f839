// Writers for the bench results: one record per (thread count, test), as llama-bench prints.
#include "qforge/report/bench_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "qforge/core/error.h"
#include "qforge/report/text_format.h"

namespace qforge::report {
namespace {

using Row = std::vector<std::string>;

// llama-bench's size and params columns: MiB below 1 GiB, else GiB; M below 1e9, else B.
std::string SizeColumn(uint64_t bytes) {
  const double gib = double(uint64_t(1) << 30);
  return bytes < uint64_t(1) << 30 ? fmt::format("{:.2f} MiB", double(bytes) / (1 << 20))
                                   : fmt::format("{:.2f} GiB", double(bytes) / gib);
}
std::string ParamsColumn(int64_t n) {
  return n < 1'000'000'000 ? fmt::format("{:.2f} M", double(n) / 1e6)
                           : fmt::format("{:.2f} B", double(n) / 1e9);
}

Row Header() {
  return {"model", "size", "params", "backend", "threads", "test", "t/s", "GB/s", "% mem BW"};
}

Row TableRow(const BenchReport& rep, const model::SpeedResult& r) {
  const double gbps = DecodeGbps(rep, r);
  return {rep.model.type,
          SizeColumn(rep.model.size),
          ParamsColumn(rep.model.n_params),
          "CPU",
          std::to_string(r.n_threads),
          r.test(),
          fmt::format("{:.2f} ± {:.2f}", r.avg_ts, r.stddev_ts),
          gbps > 0 ? fmt::format("{:.2f}", gbps) : "",
          gbps > 0 && rep.machine_gbps > 0 ? fmt::format("{:.0f}%", 100 * gbps / rep.machine_gbps)
                                           : ""};
}

// Display width of a UTF-8 string (the "±" is one column, two bytes).
size_t Width(const std::string& s) {
  return size_t(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string Pad(const std::string& s, size_t width, bool right) {
  const std::string fill(width - std::min(width, Width(s)), ' ');
  return right ? fill + s : s + fill;
}

// Markdown (pipes, a separator row with right-aligned numbers) or a plain aligned table.
std::string Table(const BenchReport& rep, bool markdown) {
  std::vector<Row> rows = {Header()};
  for (const model::SpeedResult& r : rep.results) rows.push_back(TableRow(rep, r));
  std::vector<size_t> width(rows[0].size(), 0);
  for (const Row& row : rows)
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], Width(row[c]));
  auto right = [](size_t c) { return c == 1 || c == 2 || c == 4 || c >= 6; };
  std::string out;
  for (size_t i = 0; i < rows.size(); ++i) {
    for (size_t c = 0; c < rows[i].size(); ++c) {
      const std::string cell = markdown ? EscapeMarkdown(rows[i][c]) : rows[i][c];
      out += (markdown ? "| "
              : c      ? "  "
                       : "") +
             Pad(cell, width[c], right(c)) + (markdown ? " " : "");
    }
    out += markdown ? "|\n" : "\n";
    if (i == 0 && markdown) {
      for (size_t c = 0; c < width.size(); ++c)
        out += "| " + std::string(width[c] - 1, '-') + (right(c) ? ":" : "-") + " ";
      out += "|\n";
    }
  }
  out += fmt::format(
      "{}load {:.1f} ms ({}), peak RSS {}, weights read per decoded token {}{}\n", "\n",
      rep.model.load_ms, rep.model.use_mmap ? "memory-mapped" : "read into huge pages", SizeColumn(uint64_t(rep.peak_rss_bytes)),
      SizeColumn(rep.model.weight_bytes_per_token),
      rep.machine_gbps > 0 ? fmt::format(", machine bandwidth {:.2f} GB/s", rep.machine_gbps) : "");
  return out;
}

nlohmann::ordered_json Record(const BenchReport& rep, const model::SpeedResult& r) {
  const double gbps = DecodeGbps(rep, r);
  nlohmann::ordered_json j;
  j["backends"] = "CPU";
  j["model_filename"] = rep.model.filename;
  j["model_type"] = rep.model.type;
  j["model_size"] = rep.model.size;
  j["model_n_params"] = rep.model.n_params;
  j["n_batch"] = std::max(r.n_prompt, 1);  // a prompt runs as one batch
  j["n_threads"] = r.n_threads;
  j["use_mmap"] = rep.model.use_mmap;
  j["n_prompt"] = r.n_prompt;
  j["n_gen"] = r.n_gen;
  j["test_time"] = r.test_time;
  j["avg_ns"] = int64_t(r.avg_ns);
  j["stddev_ns"] = int64_t(r.stddev_ns);
  j["avg_ts"] = r.avg_ts;
  j["stddev_ts"] = r.stddev_ts;
  j["samples_ns"] = r.samples_ns;
  j["samples_ts"] = r.samples_ts;
  // qforge's additions.
  j["load_ms"] = rep.model.load_ms;
  j["peak_rss_bytes"] = rep.peak_rss_bytes;
  j["weight_bytes_per_token"] = rep.model.weight_bytes_per_token;
  j["decode_gbps"] = gbps;
  j["machine_gbps"] = rep.machine_gbps;
  j["bandwidth_fraction"] = gbps > 0 && rep.machine_gbps > 0 ? gbps / rep.machine_gbps : 0.0;
  return j;
}

std::string Json(const BenchReport& rep) {
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const model::SpeedResult& r : rep.results) all.push_back(Record(rep, r));
  return all.dump(2) + "\n";
}

// Every value quoted, as llama-bench's CSV printer does; the sample arrays are left out, as there.
std::string Csv(const BenchReport& rep) {
  std::string out;
  bool header = true;
  for (const model::SpeedResult& r : rep.results) {
    const nlohmann::ordered_json j = Record(rep, r);
    std::vector<std::string> keys, values;
    for (const auto& [key, value] : j.items()) {
      if (value.is_array()) continue;
      keys.push_back(key);
      std::string v = value.is_string() ? value.get<std::string>() : value.dump();
      std::string quoted;
      for (char c : v) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
      values.push_back("\"" + quoted + "\"");
    }
    if (header) out += fmt::format("{}\n", fmt::join(keys, ","));
    header = false;
    out += fmt::format("{}\n", fmt::join(values, ","));
  }
  return out;
}

}  // namespace

double DecodeGbps(const BenchReport& rep, const model::SpeedResult& r) {
  return r.n_gen > 0 ? double(rep.model.weight_bytes_per_token) * r.avg_ts / 1e9 : 0.0;
}

BenchFormat BenchFormatFromName(std::string_view name) {
  if (name == "table") return BenchFormat::kTable;
  if (name == "json") return BenchFormat::kJson;
  if (name == "csv") return BenchFormat::kCsv;
  if (name == "md") return BenchFormat::kMarkdown;
  Fail(ErrorKind::kInvalidInput, "output format '{}' (known: table, json, csv, md)", name);
}

std::string FormatBench(const BenchReport& report, BenchFormat format) {
  switch (format) {
    case BenchFormat::kTable:
      return Table(report, false);
    case BenchFormat::kJson:
      return Json(report);
    case BenchFormat::kCsv:
      return Csv(report);
    case BenchFormat::kMarkdown:
      return Table(report, true);
  }
  return "";
}

std::string FormatMemoryProbe(const kernels::MemoryProbeReport& probe, BenchFormat format) {
  if (format == BenchFormat::kJson) {
    nlohmann::ordered_json j;
    j["array_elements"] = probe.elements;
    j["array_bytes"] = probe.elements * int64_t(sizeof(double));
    j["llc_bytes"] = probe.llc_bytes;
    j["results"] = nlohmann::ordered_json::array();
    for (const kernels::MemoryProbeResult& r : probe.results)
      j["results"].push_back({{"n_threads", r.threads},
                              {"copy_gbps", r.copy_gbps},
                              {"scale_gbps", r.scale_gbps},
                              {"add_gbps", r.add_gbps},
                              {"triad_gbps", r.triad_gbps}});
    j["best_gbps"] = probe.best_gbps();
    return j.dump(2) + "\n";
  }
  const char* sep = format == BenchFormat::kCsv        ? ","
                    : format == BenchFormat::kMarkdown ? " | "
                                                       : "  ";
  std::string out = format == BenchFormat::kMarkdown ? "| " : "";
  out += format == BenchFormat::kCsv
             ? "n_threads,copy_gbps,scale_gbps,add_gbps,triad_gbps\n"
             : fmt::format("{:>7}{}{:>10}{}{:>10}{}{:>10}{}{:>10}{}\n", "threads", sep, "copy GB/s",
                           sep, "scale GB/s", sep, "add GB/s", sep, "triad GB/s",
                           format == BenchFormat::kMarkdown ? " |" : "");
  if (format == BenchFormat::kMarkdown)
    out += "| ------: | ---------: | ---------: | ---------: | ---------: |\n";
  for (const kernels::MemoryProbeResult& r : probe.results)
    out += fmt::format("{}{:>7}{}{:>10.2f}{}{:>10.2f}{}{:>10.2f}{}{:>10.2f}{}\n",
                       format == BenchFormat::kMarkdown ? "| " : "", r.threads, sep, r.copy_gbps,
                       sep, r.scale_gbps, sep, r.add_gbps, sep, r.triad_gbps,
                       format == BenchFormat::kMarkdown ? " |" : "");
  if (format != BenchFormat::kCsv)
    out += fmt::format("\narrays of {} ({} doubles each; last-level cache {})\n",
                       SizeColumn(uint64_t(probe.elements) * sizeof(double)), probe.elements,
                       probe.llc_bytes > 0 ? SizeColumn(uint64_t(probe.llc_bytes)) : "unknown");
  return out;
}

std::string BenchModelType(int64_t n, std::string_view type_name) {
  const std::string size = n >= 1'000'000'000 ? fmt::format("{:.0f}B", double(n) / 1e9)
                           : n >= 1'000'000   ? fmt::format("{:.0f}M", double(n) / 1e6)
                                              : fmt::format("{:.0f}K", double(n) / 1e3);
  return fmt::format("llama {} {}", size, type_name);
}

}  // namespace qforge::report
