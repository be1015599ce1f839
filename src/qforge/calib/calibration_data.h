// Calibration data: the text a calibrated method (GPTQ, AWQ, SmoothQuant, importance matrices)
// runs the model on, and the token windows sampled from it.
//
// Inputs: plain text; JSONL with a string "text" per line; chat JSONL with "messages"
// ([{"role": ..., "content": ...}, ...]) rendered through a chat template. Templates are data
// (ChatTemplate): the model's GGUF tokenizer.chat_template is recognised by its markers (ChatML,
// Llama 2 [INST], Llama 3 headers, Zephyr), or one is named on the command line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qforge/tokenizer/tokenizer.h"

namespace qforge::calib {

enum class ChatTemplate { kChatMl, kLlama2, kLlama3, kZephyr, kPlain };

// "chatml", "llama2", "llama3", "zephyr", "plain"; nullopt for anything else.
std::optional<ChatTemplate> ChatTemplateFromName(std::string_view name);
// The template a Jinja chat template (GGUF tokenizer.chat_template) implements, by its markers.
std::optional<ChatTemplate> DetectChatTemplate(std::string_view jinja);

struct ChatMessage {
  std::string role;  // "system", "user", "assistant"
  std::string content;
};
std::string RenderChat(const std::vector<ChatMessage>& messages, ChatTemplate tmpl);

// The documents of a calibration file: plain text is one document; ".jsonl" files give one per
// line, from "text" or, for chat lines, "messages" rendered with `tmpl` (required then). Throws
// Error{kInvalidInput} naming the file and line for malformed input or an empty file.
std::vector<std::string> LoadCalibrationDocuments(const std::string& path,
                                                  std::optional<ChatTemplate> tmpl);

struct SampleOptions {
  int samples = 128;  // windows
  int tokens = 512;   // tokens per window
  uint64_t seed = 0;
};

struct CalibrationSet {
  std::vector<std::vector<int>> windows;  // each `tokens` long, BOS first when the vocab has one
  int64_t source_tokens = 0;              // tokens in the whole calibration text
  bool overlapping = false;               // more window tokens than text: windows share tokens
};

// Tokenizes every document (BOS first), concatenates them into one stream and takes `samples`
// windows at start positions drawn with a 64-bit LCG seeded by `seed` (platform-independent, so
// the same seed gives the same windows everywhere). A text shorter than `tokens` gives windows of
// the whole text. Each window's first token is BOS, as llama.cpp's imatrix and perplexity chunks.
CalibrationSet SampleWindows(const std::vector<std::string>& documents,
                             const tokenizer::Tokenizer& tokenizer, const SampleOptions& options);

}  // namespace qforge::calib
