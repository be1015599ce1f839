// ARC and MMLU to suite cases.
#include "qforge/eval/importers.h"

#include <nlohmann/json.hpp>

#include "qforge/core/error.h"
#include "qforge/eval/write_text.h"
#include "qforge/io/mapped_file.h"

namespace qforge::eval {
namespace {

using nlohmann::json;

json ParseFile(const std::string& path) {
  try {
    return json::parse(io::ReadTextFile(path));
  } catch (const json::exception& e) {
    Fail(ErrorKind::kInvalidInput, "{}: not valid JSON: {}", path, e.what());
  }
}

const json& Field(const json& j, const char* name, const std::string& where) {
  if (!j.is_object() || !j.contains(name))
    Fail(ErrorKind::kInvalidInput, "{}: missing field \"{}\"", where, name);
  return j[name];
}

std::string StringField(const json& j, const char* name, const std::string& where) {
  const json& v = Field(j, name, where);
  if (!v.is_string())
    Fail(ErrorKind::kInvalidInput, "{}: field \"{}\" must be a string", where, name);
  return v.get<std::string>();
}

}  // namespace

std::vector<SuiteCase> ImportArc(const std::string& path, const std::string& capability) {
  const json doc = ParseFile(path);
  if (!doc.is_array())
    Fail(ErrorKind::kInvalidInput, "{}: expected a JSON array of questions", path);
  std::vector<SuiteCase> out;
  for (size_t i = 0; i < doc.size(); ++i) {
    const std::string where = path + ": question " + std::to_string(i);
    const json& q = doc[i];
    SuiteCase c;
    c.id = StringField(q, "id", where);
    c.capability = capability;
    c.kind = CaseKind::kChoice;
    c.prompt = "Question: " + StringField(q, "question", where) + "\nAnswer:";
    const json& choices = Field(q, "choices", where);
    const json& text = Field(choices, "text", where);
    const json& label = Field(choices, "label", where);
    if (!text.is_array() || !label.is_array() || text.size() != label.size() || text.size() < 2)
      Fail(ErrorKind::kInvalidInput,
           "{}: choices.text and choices.label must be equally long arrays", where);
    const std::string key = StringField(q, "answerKey", where);
    for (size_t k = 0; k < text.size(); ++k) {
      c.choices.push_back(std::string(" ").append(text[k].get<std::string>()));
      if (label[k].get<std::string>() == key) c.answer_index = int(k);
    }
    if (c.answer_index < 0)
      Fail(ErrorKind::kInvalidInput, "{}: answerKey \"{}\" is not among the labels", where, key);
    c.answer = c.choices[size_t(c.answer_index)];
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<SuiteCase> ImportMmlu(const std::string& path) {
  const json doc = ParseFile(path);
  const json& samples = Field(doc, "samples", path);
  if (!samples.is_array()) Fail(ErrorKind::kInvalidInput, "{}: \"samples\" must be an array", path);
  std::vector<SuiteCase> out;
  for (size_t i = 0; i < samples.size(); ++i) {
    const std::string where = path + ": sample " + std::to_string(i);
    const json& s = samples[i];
    SuiteCase c;
    const std::string topic = s.contains("topic") && s["topic"].is_string()
                                  ? s["topic"].get<std::string>()
                                  : std::string("mmlu");
    const json& index = Field(s, "i", where);
    c.id = topic + "-" + (index.is_number() ? std::to_string(index.get<int64_t>()) : index.dump());
    c.capability = "mmlu";
    c.kind = CaseKind::kChoice;
    c.prompt = StringField(s, "prompt", where);
    const json& options = Field(s, "options", where);
    if (!options.is_array() || options.size() < 2)
      Fail(ErrorKind::kInvalidInput, "{}: \"options\" must hold at least 2 strings", where);
    for (const json& o : options) c.choices.push_back(o.get<std::string>());
    const json& label = Field(s, "input_label", where);
    if (!label.is_number_integer() || label.get<int64_t>() < 0 ||
        label.get<int64_t>() >= int64_t(c.choices.size()))
      Fail(ErrorKind::kInvalidInput, "{}: \"input_label\" must index the options", where);
    c.answer_index = label.get<int>();
    c.answer = c.choices[size_t(c.answer_index)];
    out.push_back(std::move(c));
  }
  return out;
}

void WriteSuite(const std::vector<SuiteCase>& cases, const std::string& path) {
  std::string text;
  for (const SuiteCase& c : cases) text += SuiteCaseToJson(c) + "\n";
  WriteTextAtomic(path, text);
}

}  // namespace qforge::eval
