// qforge calib check: word 13-gram overlap between calibration data and evaluation data (suites or
// text), normalized as lm-evaluation-harness's decontamination; lists the overlapping spans.
#include <fmt/format.h>

#include "qforge/cli/common.h"
#include "qforge/cli/leakage.h"

namespace qforge::cli {
namespace {

struct CalibCheckFlags {
  std::string calib;
  std::vector<std::string> eval;
  int ngram = 13;
  bool json = false;
  bool fail_on_overlap = false;
};

void PrintText(const calib::OverlapReport& r) {
  fmt::print(
      "{}-grams: {} of {} eval n-grams ({:.2f}%) occur in the calibration data; {} eval "
      "items contaminated\n",
      r.n, r.overlapping, r.eval_ngrams, 100 * r.fraction, r.contaminated.size());
  for (const calib::OverlapItem& item : r.contaminated) {
    fmt::print("{}: {} of {} n-grams\n", item.id, item.overlapping, item.ngrams);
    for (const calib::OverlapSpan& s : item.spans)
      fmt::print("  words {}-{}: {}\n", s.first_word, s.first_word + s.words, s.text);
  }
}

void Run(const CalibCheckFlags& flags) {
  const std::vector<calib::OverlapDoc> calib_docs = calib::LoadOverlapDocs(flags.calib);
  std::vector<calib::OverlapDoc> eval_docs;
  for (const std::string& path : flags.eval)
    for (calib::OverlapDoc& d : LoadEvalDocs(path)) eval_docs.push_back(std::move(d));
  calib::OverlapOptions options;
  options.n = flags.ngram;
  const calib::OverlapReport r = calib::CheckOverlap(calib_docs, eval_docs, options);
  if (flags.json) {
    nlohmann::json j = OverlapJson(r);
    j["calibration_file"] = flags.calib;
    j["eval_files"] = flags.eval;
    fmt::print("{}\n", j.dump(2));
  } else {
    PrintText(r);
  }
  if (flags.fail_on_overlap && r.overlapping > 0) throw ExitCode{1};
}

}  // namespace

void RegisterCalibImatrix(CLI::App& calib);  // calib_imatrix.cc

void RegisterCalib(CLI::App& app) {
  CLI::App* calib = app.add_subcommand("calib", "Calibration data tools");
  calib->require_subcommand(1);
  auto flags = std::make_shared<CalibCheckFlags>();
  CLI::App* check = calib->add_subcommand(
      "check", "Leakage: word n-gram overlap between calibration data and eval suites or text");
  check
      ->add_option("--calib", flags->calib,
                   "Calibration data: text (paragraphs) or JSONL (\"text\")")
      ->required()
      ->check(CLI::ExistingFile);
  check->add_option("--eval", flags->eval, "Eval suite JSONL or text file (repeatable)")
      ->required()
      ->check(CLI::ExistingFile);
  check->add_option("--ngram", flags->ngram, "Words per n-gram (lm-evaluation-harness: 13)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  check->add_flag("--json", flags->json, "Print the report as JSON");
  check->add_flag("--fail-on-overlap", flags->fail_on_overlap,
                  "Exit 1 when any n-gram overlaps (for CI)");
  check->callback([flags] { Run(*flags); });
  RegisterCalibImatrix(*calib);
}

}  // namespace qforge::cli
