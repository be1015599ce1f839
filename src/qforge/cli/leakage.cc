#include "qforge/cli/leakage.h"

#include <filesystem>

#include "qforge/calib/sha256.h"
#include "qforge/core/error.h"
#include "qforge/io/mapped_file.h"

namespace qforge::cli {
namespace fs = std::filesystem;

std::vector<calib::OverlapDoc> SuiteDocs(const eval::Suite& suite) {
  std::vector<calib::OverlapDoc> docs;
  for (const eval::SuiteCase& c : suite.cases) {
    std::string text = c.prompt + "\n";
    if (c.kind == eval::CaseKind::kGenerate) text += c.answer + "\n";
    for (const std::string& choice : c.choices) text += choice + "\n";
    docs.push_back({suite.name + "/" + c.id, std::move(text)});
  }
  return docs;
}

std::vector<calib::OverlapDoc> LoadEvalDocs(const std::string& path) {
  if (fs::path(path).extension() == ".jsonl") {
    const std::string text = io::ReadTextFile(path);
    // The first non-blank line decides: suites have a "prompt", text JSONL a "text".
    size_t pos = text.find_first_not_of(" \t\r\n");
    if (pos != std::string::npos) {
      const std::string line = text.substr(pos, text.find('\n', pos) - pos);
      const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_object() && j.contains("prompt")) return SuiteDocs(eval::ParseSuite(text, path));
    }
  }
  return calib::LoadOverlapDocs(path);
}

nlohmann::json OverlapJson(const calib::OverlapReport& r, int max_items) {
  nlohmann::json items = nlohmann::json::array();
  for (const calib::OverlapItem& item : r.contaminated) {
    if (max_items >= 0 && int(items.size()) >= max_items) break;
    nlohmann::json spans = nlohmann::json::array();
    for (const calib::OverlapSpan& s : item.spans)
      spans.push_back({{"first_word", s.first_word}, {"words", s.words}, {"text", s.text}});
    items.push_back({{"id", item.id},
                     {"ngrams", item.ngrams},
                     {"overlapping", item.overlapping},
                     {"spans", std::move(spans)}});
  }
  return {{"ngram", r.n},
          {"calib_ngrams", r.calib_ngrams},
          {"eval_ngrams", r.eval_ngrams},
          {"overlapping", r.overlapping},
          {"fraction", r.fraction},
          {"contaminated_items", r.contaminated.size()},
          {"contaminated", std::move(items)}};
}

nlohmann::json CandidateLeakage(const Checkpoint& candidate, const std::string& text_path,
                                const std::vector<eval::Suite>& suites) {
  const auto file_it = candidate.metadata.find("qforge.calibration.file");
  if (file_it == candidate.metadata.end()) return nullptr;
  std::string file = file_it->second;
  // A relative path is tried as given, then beside the candidate model.
  if (fs::path(file).is_relative() && !fs::exists(file)) {
    const fs::path beside = fs::path(candidate.path).parent_path() / file;
    if (fs::exists(beside)) file = beside.string();
  }
  nlohmann::json out = {{"calibration_file", file_it->second}};
  try {
    const std::string bytes = io::ReadTextFile(file);
    const auto sha_it = candidate.metadata.find("qforge.calibration.sha256");
    out["sha256_match"] = sha_it == candidate.metadata.end()
                              ? nlohmann::json(nullptr)
                              : nlohmann::json(calib::Sha256Hex(bytes) == sha_it->second);
    const std::vector<calib::OverlapDoc> calib_docs =
        fs::path(file).extension() == ".jsonl"
            ? calib::ParseTextJsonl(bytes, fs::path(file).filename().string())
            : calib::SplitParagraphs(bytes, fs::path(file).filename().string());
    std::vector<calib::OverlapDoc> eval_docs;
    if (!text_path.empty()) eval_docs = calib::LoadOverlapDocs(text_path);
    for (const eval::Suite& s : suites)
      for (calib::OverlapDoc& d : SuiteDocs(s)) eval_docs.push_back(std::move(d));
    const calib::OverlapReport r = calib::CheckOverlap(calib_docs, eval_docs);
    out["checked"] = true;
    // Up to 10 items keep report.json small; contaminated_ids lists up to 100 ids.
    nlohmann::json ids = nlohmann::json::array();
    for (const calib::OverlapItem& item : r.contaminated)
      if (ids.size() < 100) ids.push_back(item.id);
    out.update(OverlapJson(r, 10));
    out["contaminated_ids"] = std::move(ids);
  } catch (const Error& e) {
    out["checked"] = false;
    out["reason"] = e.what();
  }
  return out;
}

}  // namespace qforge::cli
