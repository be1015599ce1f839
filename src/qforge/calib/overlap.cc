#include "qforge/calib/overlap.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "qforge/core/error.h"
#include "qforge/io/mapped_file.h"

namespace qforge::calib {
namespace {

struct Word {
  std::string norm;
  std::string_view original;
};

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::vector<Word> SplitWords(std::string_view text) {
  std::vector<Word> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && IsSpace(text[i])) ++i;
    const size_t start = i;
    while (i < text.size() && !IsSpace(text[i])) ++i;
    if (start == i) break;
    Word w{"", text.substr(start, i - start)};
    for (char c : w.original) {
      const auto u = static_cast<unsigned char>(c);
      // string.punctuation is exactly the ASCII characters std::ispunct accepts in the C locale.
      if (u < 128 && std::ispunct(u)) continue;
      w.norm.push_back(u < 128 ? char(std::tolower(u)) : c);
    }
    if (!w.norm.empty()) words.push_back(std::move(w));
  }
  return words;
}

// The n words from `first` joined by spaces: a hash key (no normalized word contains a space).
std::string Key(const std::vector<Word>& words, size_t first, int n) {
  std::string key;
  for (size_t k = first; k < first + size_t(n); ++k) {
    if (k > first) key.push_back(' ');
    key += words[k].norm;
  }
  return key;
}

OverlapSpan MakeSpan(const std::vector<Word>& words, size_t first, size_t count) {
  OverlapSpan s{int64_t(first), int64_t(count), ""};
  for (size_t k = first; k < first + count; ++k) {
    if (k > first) s.text.push_back(' ');
    s.text += words[k].original;
  }
  return s;
}

}  // namespace

std::vector<std::string> NormalizedWords(std::string_view text) {
  std::vector<std::string> out;
  for (Word& w : SplitWords(text)) out.push_back(std::move(w.norm));
  return out;
}

OverlapReport CheckOverlap(const std::vector<OverlapDoc>& calib,
                           const std::vector<OverlapDoc>& eval, const OverlapOptions& options) {
  const int n = options.n;
  if (n < 1) Fail(ErrorKind::kInvalidInput, "n-gram length must be at least 1, got {}", n);
  std::unordered_set<std::string> seen;
  for (const OverlapDoc& doc : calib) {
    const std::vector<Word> words = SplitWords(doc.text);
    for (size_t i = 0; i + size_t(n) <= words.size(); ++i) seen.insert(Key(words, i, n));
  }
  OverlapReport report;
  report.n = n;
  report.calib_ngrams = int64_t(seen.size());
  for (const OverlapDoc& doc : eval) {
    const std::vector<Word> words = SplitWords(doc.text);
    OverlapItem item{doc.id, 0, 0, {}};
    // A run of overlapping n-grams starting at run_first..run_last covers words
    // [run_first, run_last + n): consecutive hits are merged into one span.
    size_t run_first = 0, run_last = 0;
    bool in_run = false;
    auto close_run = [&] {
      if (in_run && int(item.spans.size()) < options.max_spans_per_item)
        item.spans.push_back(MakeSpan(words, run_first, run_last - run_first + size_t(n)));
      in_run = false;
    };
    for (size_t i = 0; i + size_t(n) <= words.size(); ++i) {
      ++item.ngrams;
      if (!seen.count(Key(words, i, n))) {
        close_run();
        continue;
      }
      ++item.overlapping;
      if (!in_run) run_first = i;
      run_last = i;
      in_run = true;
    }
    close_run();
    report.eval_ngrams += item.ngrams;
    report.overlapping += item.overlapping;
    if (item.overlapping > 0) report.contaminated.push_back(std::move(item));
  }
  report.fraction =
      report.eval_ngrams > 0 ? double(report.overlapping) / double(report.eval_ngrams) : 0.0;
  return report;
}

std::vector<OverlapDoc> SplitParagraphs(std::string_view text, const std::string& name) {
  std::vector<OverlapDoc> docs;
  OverlapDoc current;
  int line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t end = std::min(text.find('\n', pos), text.size());
    const std::string_view line = text.substr(pos, end - pos);
    ++line_no;
    const bool blank = std::all_of(line.begin(), line.end(), IsSpace);
    if (blank) {
      if (!current.text.empty()) docs.push_back(std::move(current));
      current = {};
    } else {
      if (current.text.empty()) current.id = name + ":" + std::to_string(line_no);
      current.text.append(line).push_back('\n');
    }
    if (end == text.size()) break;
    pos = end + 1;
  }
  if (!current.text.empty()) docs.push_back(std::move(current));
  return docs;
}

std::vector<OverlapDoc> ParseTextJsonl(std::string_view text, const std::string& name) {
  std::vector<OverlapDoc> docs;
  int line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t end = std::min(text.find('\n', pos), text.size());
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (std::all_of(line.begin(), line.end(), IsSpace)) continue;
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object())
      Fail(ErrorKind::kInvalidInput, "{}:{}: not a JSON object", name, line_no);
    const auto it = j.find("text");
    if (it == j.end() || !it->is_string())
      Fail(ErrorKind::kInvalidInput, "{}:{}: missing string field \"text\"", name, line_no);
    docs.push_back({name + ":" + std::to_string(line_no), it->get<std::string>()});
  }
  return docs;
}

std::vector<OverlapDoc> LoadOverlapDocs(const std::string& path) {
  const std::string text = io::ReadTextFile(path);
  const std::string name = std::filesystem::path(path).filename().string();
  if (std::filesystem::path(path).extension() == ".jsonl") return ParseTextJsonl(text, name);
  return SplitParagraphs(text, name);
}

}  // namespace qforge::calib
