// qforge report: one self-contained HTML page from one or more report.json files.
#include "qforge/cli/common.h"
#include "qforge/eval/write_text.h"
#include "qforge/io/atomic_file.h"
#include "qforge/report/html.h"
#include "qforge/report/report_json.h"

namespace qforge::cli {
namespace {

struct ReportFlags {
  std::vector<std::string> reports;
  std::string output;
};

void Run(const ReportFlags& flags) {
  std::vector<nlohmann::json> reports;
  for (const std::string& path : flags.reports) {
    io::RefuseToOverwriteInput(path, flags.output);
    reports.push_back(report::LoadReport(path));
  }
  eval::WriteTextAtomic(flags.output, report::RenderHtml(reports));
  Note("report: wrote {} ({} report{})", flags.output, reports.size(),
       reports.size() > 1 ? "s" : "");
}

}  // namespace

void RegisterReport(CLI::App& app) {
  auto flags = std::make_shared<ReportFlags>();
  CLI::App* verb = app.add_subcommand(
      "report",
      "Render report.json files as one self-contained HTML page (several: size vs quality)");
  verb->add_option("reports", flags->reports, "report.json files from qforge eval")
      ->required()
      ->check(CLI::ExistingFile);
  verb->add_option("-o,--output", flags->output, "HTML file to write")->required();
  verb->callback([flags] { Run(*flags); });
}

}  // namespace qforge::cli
