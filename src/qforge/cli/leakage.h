// Leakage checks shared by `qforge calib check` and `qforge eval`: eval inputs (suites, text files)
// as overlap documents, and the overlap report as JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "qforge/calib/overlap.h"
#include "qforge/core/checkpoint.h"
#include "qforge/eval/suites.h"

namespace qforge::cli {

// One document per case: prompt, answer (generate) or every choice (choice), one per line. The
// fewshot prefix is left out: it is shared by many cases and would report each as contaminated.
std::vector<calib::OverlapDoc> SuiteDocs(const eval::Suite& suite);

// An eval-side file: a suite when it is JSONL whose first object has "prompt", otherwise as
// calib::LoadOverlapDocs (JSONL with "text", or paragraphs of plain text).
std::vector<calib::OverlapDoc> LoadEvalDocs(const std::string& path);

// The report as JSON; at most `max_items` contaminated items are listed (all when < 0), with
// "contaminated_items" counting them all.
nlohmann::json OverlapJson(const calib::OverlapReport& r, int max_items = -1);

// The "leakage" section of eval's report.json, or null when the candidate's metadata names no
// calibration file ("qforge.calibration.file"). Never throws: an unreadable file gives
// {"checked": false, "reason": ...}.
nlohmann::json CandidateLeakage(const Checkpoint& candidate, const std::string& text_path,
                                const std::vector<eval::Suite>& suites);

}  // namespace qforge::cli
