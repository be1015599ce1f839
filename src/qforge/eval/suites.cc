// JSONL suite parsing with errors that name the line and the field.
#include "qforge/eval/suites.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "qforge/core/error.h"
#include "qforge/io/mapped_file.h"

namespace qforge::eval {
namespace {

using nlohmann::json;

const std::set<std::string>& KnownFields() {
  static const std::set<std::string> k = {"id",     "capability", "kind",  "fewshot",
                                          "prompt", "answer",     "match", "max_tokens",
                                          "stop",   "choices"};
  return k;
}

std::string GetString(const json& j, const char* field, const std::string& where, bool required,
                      std::string fallback = "") {
  if (!j.contains(field)) {
    if (required) Fail(ErrorKind::kInvalidInput, "{}: missing field \"{}\"", where, field);
    return fallback;
  }
  if (!j[field].is_string())
    Fail(ErrorKind::kInvalidInput, "{}: field \"{}\" must be a string, got {}", where, field,
         j[field].dump());
  return j[field].get<std::string>();
}

std::vector<std::string> GetStrings(const json& j, const char* field, const std::string& where) {
  std::vector<std::string> out;
  if (!j.contains(field)) return out;
  if (!j[field].is_array())
    Fail(ErrorKind::kInvalidInput, "{}: field \"{}\" must be an array of strings", where, field);
  for (const json& v : j[field]) {
    if (!v.is_string())
      Fail(ErrorKind::kInvalidInput, "{}: field \"{}\" must hold only strings, got {}", where,
           field, v.dump());
    out.push_back(v.get<std::string>());
  }
  return out;
}

MatchKind ParseMatch(const std::string& s, const std::string& where) {
  for (MatchKind m :
       {MatchKind::kExact, MatchKind::kContains, MatchKind::kRegex, MatchKind::kNumeric})
    if (s == MatchName(m)) return m;
  Fail(ErrorKind::kInvalidInput,
       "{}: field \"match\" is \"{}\"; expected exact, contains, regex or numeric", where, s);
}

void ParseGenerate(const json& j, const std::string& where, SuiteCase& c) {
  c.answer = GetString(j, "answer", where, true);
  c.match = ParseMatch(GetString(j, "match", where, false, "exact"), where);
  if (c.match == MatchKind::kRegex) {
    // std::regex compiles recursively: a bound on the pattern bounds the stack it needs.
    constexpr size_t kMaxRegex = 512;
    if (c.answer.size() > kMaxRegex)
      Fail(ErrorKind::kInvalidInput,
           "{}: field \"answer\" is a regex of {} characters (at most {})", where, c.answer.size(),
           kMaxRegex);
    try {
      std::regex re(c.answer);
    } catch (const std::regex_error& e) {
      Fail(ErrorKind::kInvalidInput, "{}: field \"answer\" is not a valid regex: {}", where,
           e.what());
    }
  }
  if (j.contains("max_tokens")) {
    if (!j["max_tokens"].is_number_integer() || j["max_tokens"].get<int64_t>() < 1 ||
        j["max_tokens"].get<int64_t>() > 1 << 20)
      Fail(ErrorKind::kInvalidInput, "{}: field \"max_tokens\" must be an integer in 1..{}, got {}",
           where, 1 << 20, j["max_tokens"].dump());
    c.max_tokens = j["max_tokens"].get<int>();
  }
  c.stop = GetStrings(j, "stop", where);
  for (const std::string& s : c.stop)
    if (s.empty())
      Fail(ErrorKind::kInvalidInput, "{}: field \"stop\" holds an empty string", where);
  if (j.contains("choices"))
    Fail(ErrorKind::kInvalidInput, "{}: field \"choices\" belongs to kind \"choice\"", where);
}

void ParseChoice(const json& j, const std::string& where, SuiteCase& c) {
  c.choices = GetStrings(j, "choices", where);
  if (c.choices.size() < 2)
    Fail(ErrorKind::kInvalidInput, "{}: field \"choices\" needs at least 2 strings", where);
  if (!j.contains("answer") || !j["answer"].is_number_integer())
    Fail(ErrorKind::kInvalidInput, "{}: field \"answer\" must be the index of the right choice",
         where);
  const int64_t a = j["answer"].get<int64_t>();
  if (a < 0 || a >= int64_t(c.choices.size()))
    Fail(ErrorKind::kInvalidInput, "{}: field \"answer\" is {}, outside 0..{}", where, a,
         c.choices.size() - 1);
  c.answer_index = int(a);
  c.answer = c.choices[size_t(a)];
  for (const char* f : {"match", "max_tokens", "stop"})
    if (j.contains(f))
      Fail(ErrorKind::kInvalidInput, "{}: field \"{}\" belongs to kind \"generate\"", where, f);
}

}  // namespace

std::string_view MatchName(MatchKind m) {
  switch (m) {
    case MatchKind::kExact:
      return "exact";
    case MatchKind::kContains:
      return "contains";
    case MatchKind::kRegex:
      return "regex";
    case MatchKind::kNumeric:
      return "numeric";
  }
  return "?";
}

std::string_view KindName(CaseKind k) {
  switch (k) {
    case CaseKind::kGenerate:
      return "generate";
    case CaseKind::kChoice:
      return "choice";
  }
  return "?";
}

uint64_t Fnv1a64(std::string_view bytes, uint64_t seed) {
  uint64_t h = seed;
  for (unsigned char b : bytes) h = (h ^ b) * 0x100000001b3ull;
  return h;
}

SuiteCase ParseSuiteCase(std::string_view line, const std::string& where,
                         const std::string& default_capability) {
  json j;
  try {
    j = json::parse(line);
  } catch (const json::exception& e) {
    Fail(ErrorKind::kInvalidInput, "{}: not valid JSON: {}", where, e.what());
  }
  if (!j.is_object()) Fail(ErrorKind::kInvalidInput, "{}: a case must be a JSON object", where);
  for (const auto& [key, value] : j.items())
    if (!KnownFields().contains(key))
      Fail(ErrorKind::kInvalidInput,
           "{}: unknown field \"{}\" (known: id, capability, kind, fewshot, prompt, answer, match, "
           "max_tokens, stop, choices)",
           where, key);
  SuiteCase c;
  c.id = GetString(j, "id", where, true);
  if (c.id.empty()) Fail(ErrorKind::kInvalidInput, "{}: field \"id\" is empty", where);
  c.capability = GetString(j, "capability", where, false, default_capability);
  c.fewshot = GetString(j, "fewshot", where, false);
  c.prompt = GetString(j, "prompt", where, true);
  const std::string kind = GetString(j, "kind", where, true);
  if (kind == "generate") {
    c.kind = CaseKind::kGenerate;
    ParseGenerate(j, where, c);
  } else if (kind == "choice") {
    c.kind = CaseKind::kChoice;
    ParseChoice(j, where, c);
  } else {
    Fail(ErrorKind::kInvalidInput, "{}: field \"kind\" is \"{}\"; expected generate or choice",
         where, kind);
  }
  return c;
}

Suite ParseSuite(std::string_view text, const std::string& path) {
  Suite suite;
  suite.path = path;
  suite.name = std::filesystem::path(path).stem().string();
  suite.hash = Fnv1a64(text);
  std::set<std::string> ids;
  size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::string where = path + ":" + std::to_string(line_no);
    SuiteCase c = ParseSuiteCase(line, where, suite.name);
    if (!ids.insert(c.id).second)
      Fail(ErrorKind::kInvalidInput, "{}: duplicate id \"{}\"", where, c.id);
    suite.cases.push_back(std::move(c));
  }
  if (suite.cases.empty()) Fail(ErrorKind::kInvalidInput, "{}: the suite has no cases", path);
  return suite;
}

Suite LoadSuite(const std::string& path) { return ParseSuite(io::ReadTextFile(path), path); }

std::string SuiteCaseToJson(const SuiteCase& c) {
  json j = {{"id", c.id}, {"capability", c.capability}, {"kind", KindName(c.kind)}};
  if (!c.fewshot.empty()) j["fewshot"] = c.fewshot;
  j["prompt"] = c.prompt;
  if (c.kind == CaseKind::kChoice) {
    j["choices"] = c.choices;
    j["answer"] = c.answer_index;
  } else {
    j["answer"] = c.answer;
    j["match"] = MatchName(c.match);
    j["max_tokens"] = c.max_tokens;
    if (!c.stop.empty()) j["stop"] = c.stop;
  }
  return j.dump();
}

}  // namespace qforge::eval
