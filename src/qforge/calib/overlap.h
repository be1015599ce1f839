// Calibration/evaluation overlap (leakage): word n-grams of the calibration data that also occur
// in the evaluation data, normalized as lm-evaluation-harness's decontamination does
// (lm_eval/decontamination/janitor.py): ASCII letters lowercased, ASCII punctuation
// (Python's string.punctuation) deleted, split on whitespace, n = 13 words. A calibration set
// that shares 13 words in a row with an eval item has very likely seen that item's text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qforge::calib {

// One document to compare: an eval case, a paragraph of a text file, a JSONL line.
struct OverlapDoc {
  std::string id;  // shown in the report ("heldout.txt:12", a suite case id)
  std::string text;
};

// A run of consecutive overlapping n-grams in one eval document, merged into one span.
struct OverlapSpan {
  int64_t first_word = 0;  // index into the document's normalized words
  int64_t words = 0;       // span length in words (>= n)
  std::string text;        // the original words of the span, joined by single spaces
};

struct OverlapItem {
  std::string id;
  int64_t ngrams = 0;              // n-gram positions in this document
  int64_t overlapping = 0;         // of those, how many occur in the calibration data
  std::vector<OverlapSpan> spans;  // at most OverlapOptions::max_spans_per_item
};

struct OverlapReport {
  int n = 13;
  int64_t calib_ngrams = 0;  // distinct n-grams in the calibration data
  int64_t eval_ngrams = 0;   // n-gram positions over all eval documents (repeats counted)
  int64_t overlapping = 0;   // of those, how many occur in the calibration data
  double fraction = 0.0;     // overlapping / eval_ngrams (0 when there are none)
  std::vector<OverlapItem> contaminated;  // eval documents with at least one overlap, in order
};

struct OverlapOptions {
  int n = 13;
  int max_spans_per_item = 8;  // keeps the report readable when a whole suite leaked
};

// Normalized words of `text`: each whitespace-separated word lowercased (ASCII) with ASCII
// punctuation deleted; words left empty (pure punctuation) are dropped, as janitor.py's
// translate-then-split does. Non-ASCII bytes are kept unchanged.
std::vector<std::string> NormalizedWords(std::string_view text);

// Throws Error{kInvalidInput} when n < 1.
OverlapReport CheckOverlap(const std::vector<OverlapDoc>& calib,
                           const std::vector<OverlapDoc>& eval, const OverlapOptions& options = {});

// A text file as documents: paragraphs separated by blank lines, each with id "NAME:LINE" (the
// paragraph's first line). N-grams never cross a paragraph boundary, so unrelated neighbouring
// stories do not form spurious n-grams.
std::vector<OverlapDoc> SplitParagraphs(std::string_view text, const std::string& name);

// A JSONL file with a string "text" field per line (other fields ignored); ids "NAME:LINE".
// Throws Error{kInvalidInput} naming the line for malformed JSON or a missing "text".
std::vector<OverlapDoc> ParseTextJsonl(std::string_view text, const std::string& name);

// A calibration or eval text file: JSONL ("*.jsonl") or plain text; throws Error naming the file.
std::vector<OverlapDoc> LoadOverlapDocs(const std::string& path);

}  // namespace qforge::calib
