#include "qforge/calib/calibration_data.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "qforge/core/error.h"
#include "qforge/io/mapped_file.h"

namespace qforge::calib {
namespace {

struct TemplateSpec {
  ChatTemplate id;
  std::string_view name;
  std::string_view marker;  // what identifies it inside a Jinja template
};
constexpr TemplateSpec kTemplates[] = {
    {ChatTemplate::kChatMl, "chatml", "<|im_start|>"},
    {ChatTemplate::kLlama3, "llama3", "<|start_header_id|>"},
    {ChatTemplate::kLlama2, "llama2", "[INST]"},
    {ChatTemplate::kZephyr, "zephyr", "<|user|>"},
    {ChatTemplate::kPlain, "plain", ""},
};

// Knuth's MMIX LCG; the high bits are the random ones.
uint64_t NextRandom(uint64_t& state) {
  state = state * 6364136223846793005ULL + 1442695040888963407ULL;
  return state >> 11;
}

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

}  // namespace

std::optional<ChatTemplate> ChatTemplateFromName(std::string_view name) {
  for (const TemplateSpec& t : kTemplates)
    if (t.name == name) return t.id;
  return std::nullopt;
}

std::optional<ChatTemplate> DetectChatTemplate(std::string_view jinja) {
  for (const TemplateSpec& t : kTemplates)
    if (!t.marker.empty() && jinja.find(t.marker) != std::string_view::npos) return t.id;
  return std::nullopt;
}

std::string RenderChat(const std::vector<ChatMessage>& messages, ChatTemplate tmpl) {
  std::string out;
  switch (tmpl) {
    case ChatTemplate::kChatMl:
      for (const ChatMessage& m : messages)
        out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
      return out;
    case ChatTemplate::kLlama3:
      for (const ChatMessage& m : messages)
        out += "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n" + m.content + "<|eot_id|>";
      return out;
    case ChatTemplate::kZephyr:
      for (const ChatMessage& m : messages) out += "<|" + m.role + "|>\n" + m.content + "</s>\n";
      return out;
    case ChatTemplate::kLlama2: {
      // [INST] <<SYS>>\nsystem\n<</SYS>>\n\nuser [/INST] assistant </s><s>[INST] ...
      std::string system;
      bool first = true;
      for (const ChatMessage& m : messages) {
        if (m.role == "system") {
          system = "<<SYS>>\n" + m.content + "\n<</SYS>>\n\n";
        } else if (m.role == "user") {
          out += std::string(first ? "" : "<s>") + "[INST] " + system + m.content + " [/INST]";
          system.clear();
          first = false;
        } else {
          out += " " + m.content + " </s>";
        }
      }
      return out;
    }
    case ChatTemplate::kPlain:
      for (const ChatMessage& m : messages) out += m.role + ": " + m.content + "\n";
      return out;
  }
  return out;
}

std::vector<std::string> LoadCalibrationDocuments(const std::string& path,
                                                  std::optional<ChatTemplate> tmpl) {
  const std::string text = io::ReadTextFile(path);
  std::vector<std::string> docs;
  if (std::filesystem::path(path).extension() != ".jsonl") {
    if (IsBlank(text)) Fail(ErrorKind::kInvalidInput, "{}: the calibration text is empty", path);
    docs.push_back(text);
    return docs;
  }
  size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    const size_t end = std::min(text.find('\n', pos), text.size());
    const std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (IsBlank(line)) continue;
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object())
      Fail(ErrorKind::kInvalidInput, "{}:{}: not a JSON object", path, line_no);
    if (const auto it = j.find("text"); it != j.end() && it->is_string()) {
      docs.push_back(it->get<std::string>());
      continue;
    }
    const auto it = j.find("messages");
    if (it == j.end() || !it->is_array())
      Fail(ErrorKind::kInvalidInput, "{}:{}: needs a string \"text\" or a \"messages\" array", path,
           line_no);
    if (!tmpl)
      Fail(ErrorKind::kInvalidInput,
           "{}:{}: chat messages need a template: the model names none qforge recognises; pass "
           "--chat-template chatml|llama2|llama3|zephyr|plain",
           path, line_no);
    std::vector<ChatMessage> messages;
    for (const auto& m : *it) {
      if (!m.is_object() || !m.contains("role") || !m["role"].is_string() ||
          !m.contains("content") || !m["content"].is_string())
        Fail(ErrorKind::kInvalidInput,
             "{}:{}: each message needs string \"role\" and \"content\"", path, line_no);
      messages.push_back({m["role"].get<std::string>(), m["content"].get<std::string>()});
    }
    docs.push_back(RenderChat(messages, *tmpl));
  }
  if (docs.empty()) Fail(ErrorKind::kInvalidInput, "{}: no calibration documents", path);
  return docs;
}

CalibrationSet SampleWindows(const std::vector<std::string>& documents,
                             const tokenizer::Tokenizer& tokenizer, const SampleOptions& options) {
  if (options.samples < 1 || options.tokens < 2)
    Fail(ErrorKind::kInvalidInput,
         "calibration needs at least 1 sample of at least 2 tokens (got {} x {})", options.samples,
         options.tokens);
  std::vector<int> stream;
  for (const std::string& doc : documents) {
    const std::vector<int> ids = tokenizer.Encode(doc, /*add_bos=*/true);
    stream.insert(stream.end(), ids.begin(), ids.end());
  }
  CalibrationSet set;
  set.source_tokens = int64_t(stream.size());
  if (stream.size() < 2) Fail(ErrorKind::kInvalidInput, "the calibration text has fewer than 2 tokens");
  const size_t len = std::min(stream.size(), size_t(options.tokens));
  const uint64_t starts = stream.size() - len + 1;
  set.overlapping = uint64_t(options.samples) * len > stream.size();
  uint64_t state = options.seed ^ 0x9E3779B97F4A7C15ULL;
  for (int s = 0; s < options.samples; ++s) {
    const size_t start = size_t(NextRandom(state) % starts);
    std::vector<int> window(stream.begin() + ptrdiff_t(start),
                            stream.begin() + ptrdiff_t(start + len));
    if (tokenizer.bos_id() >= 0) window[0] = tokenizer.bos_id();
    set.windows.push_back(std::move(window));
  }
  return set;
}

}  // namespace qforge::calib
