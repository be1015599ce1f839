// Importers from public benchmark files to suite cases (suites.h), formatted as
// lm-evaluation-harness formats the same tasks, so accuracies compare with its numbers.
#pragma once

#include <string>
#include <vector>

#include "qforge/eval/suites.h"

namespace qforge::eval {

// ARC (AI2 Reasoning Challenge) as the Hugging Face datasets export it: a JSON array of
// {"id", "question", "choices": {"text": [...], "label": ["A", ...]}, "answerKey"}.
// lm-evaluation-harness's arc_easy: prompt "Question: {question}\nAnswer:", each choice " {text}",
// scored by log-likelihood (acc and acc_norm). Capability "arc-easy".
std::vector<SuiteCase> ImportArc(const std::string& path,
                                 const std::string& capability = "arc-easy");

// MMLU in the form {"samples": [{"i", "prompt", "options": [" A", ...], "input_label", "topic"}]}:
// the prompt already holds the 5-shot examples and ends with "Answer:", the choices are the letters
// (lm-evaluation-harness's mmlu). Capability "mmlu" (one suite; the topic is kept in the id).
std::vector<SuiteCase> ImportMmlu(const std::string& path);

// Writes cases as JSONL through an atomic file.
void WriteSuite(const std::vector<SuiteCase>& cases, const std::string& path);

}  // namespace qforge::eval
