// Evaluation suites: JSONL files of cases (DESIGN.md "Evaluation suites"), one JSON object a line.
//
//   {"id":"f-012","capability":"factual","kind":"generate","prompt":"Q: ...\nA:","answer":"Paris",
//    "match":"exact","max_tokens":16,"stop":["\n"]}
//   {"id":"r-003","capability":"reasoning","kind":"choice","prompt":"...","choices":[" yes"," no"],
//    "answer":0}
//
// Fields: id (string, unique in the suite), kind ("generate" | "choice"), prompt (string), answer
// (generate: string; choice: index into choices); optional: capability (default: the suite's file
// name without extension), fewshot (text put before the prompt, e.g. solved examples), and for
// generate cases match ("exact" | "contains" | "regex" | "numeric", default "exact"), max_tokens
// (default 32), stop (strings that end the generation). Unknown fields are an error, so a typo
// never silently changes how a case is scored.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qforge::eval {

enum class CaseKind { kGenerate, kChoice };
enum class MatchKind { kExact, kContains, kRegex, kNumeric };

struct SuiteCase {
  std::string id;
  std::string capability;
  CaseKind kind = CaseKind::kGenerate;
  std::string fewshot;  // prefix before the prompt
  std::string prompt;
  // generate
  std::string answer;
  MatchKind match = MatchKind::kExact;
  int max_tokens = 32;
  std::vector<std::string> stop;
  // choice
  std::vector<std::string> choices;
  int answer_index = -1;
};

struct Suite {
  std::string name;  // file name without directory and extension
  std::string path;
  uint64_t hash = 0;  // of the file's bytes (baseline cache key)
  std::vector<SuiteCase> cases;
};

// Parses one line; errors name `where` ("file:line") and the field.
SuiteCase ParseSuiteCase(std::string_view line, const std::string& where,
                         const std::string& default_capability);

// Reads a JSONL suite; blank lines are skipped. Throws Error naming the file, line and field for
// malformed JSON, a missing or mistyped field, an unknown kind or match, an answer index out of
// range, duplicate ids, or an empty suite.
Suite LoadSuite(const std::string& path);
Suite ParseSuite(std::string_view text, const std::string& path);

// One line of JSONL for `c` (importers write suites with it; ParseSuiteCase reads it back).
std::string SuiteCaseToJson(const SuiteCase& c);

std::string_view MatchName(MatchKind m);
std::string_view KindName(CaseKind k);

// 64-bit FNV-1a of bytes: a stable content key (not a cryptographic hash).
uint64_t Fnv1a64(std::string_view bytes, uint64_t seed = 0xcbf29ce484222325ull);

}  // namespace qforge::eval
