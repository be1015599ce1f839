// vocab.json / merges.txt / tokenizer.json -> Vocab, with errors that name the file.
#include "qforge/tokenizer/gpt2_bpe_files.h"

#include <map>
#include <nlohmann/json.hpp>

#include "qforge/core/error.h"
#include "qforge/io/mapped_file.h"

namespace qforge::tokenizer {
namespace {

using nlohmann::json;

constexpr std::string_view kEndOfText = "<|endoftext|>";

json ParseJson(const std::string& path) {
  const std::string text = io::ReadTextFile(path);
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    Fail(ErrorKind::kInvalidInput, "{}: not valid JSON: {}", path, e.what());
  }
}

// Adds {"token": id, ...} to `by_id`, checking every id.
void AddTokens(const json& object, const std::string& path, std::map<int64_t, std::string>& by_id) {
  if (!object.is_object())
    Fail(ErrorKind::kInvalidInput, "{}: the vocabulary is not a JSON object", path);
  for (const auto& [token, id] : object.items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0)
      Fail(ErrorKind::kInvalidInput, "{}: token \"{}\" has id {}, not a non-negative integer", path,
           token, id.dump());
    by_id[id.get<int64_t>()] = token;
  }
}

// Ids must be dense: token i has id i. Anything else is a damaged or foreign file.
std::vector<std::string> DenseTokens(std::map<int64_t, std::string> by_id,
                                     const std::string& path) {
  std::vector<std::string> tokens;
  tokens.reserve(by_id.size());
  for (auto& [id, token] : by_id) {
    if (id != int64_t(tokens.size()))
      Fail(ErrorKind::kInvalidInput, "{}: token ids are not 0..n-1: id {} follows {} tokens", path,
           id, tokens.size());
    tokens.push_back(std::move(token));
  }
  if (tokens.empty()) Fail(ErrorKind::kInvalidInput, "{}: the vocabulary is empty", path);
  return tokens;
}

void CheckMerge(const std::string& merge, const std::string& path, size_t line) {
  if (merge.size() < 3 || merge.find(' ', 1) == std::string::npos || merge.back() == ' ')
    Fail(ErrorKind::kInvalidInput, "{}:{}: \"{}\" is not a merge \"left right\"", path, line,
         merge);
}

Vocab NewGpt2Vocab(std::vector<std::string> tokens) {
  Vocab vocab;
  vocab.kind = VocabKind::kGpt2Bpe;
  vocab.types.assign(tokens.size(), TokenType::kNormal);
  vocab.bos_id = vocab.eos_id = vocab.unk_id = -1;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] == kEndOfText) {
      vocab.types[i] = TokenType::kControl;
      vocab.bos_id = vocab.eos_id = int(i);
    }
  }
  vocab.tokens = std::move(tokens);
  vocab.add_bos = false;
  vocab.add_space_prefix = false;
  return vocab;
}

}  // namespace

Vocab ReadGpt2VocabFiles(const std::string& vocab_json, const std::string& merges_txt) {
  std::map<int64_t, std::string> by_id;
  AddTokens(ParseJson(vocab_json), vocab_json, by_id);
  Vocab vocab = NewGpt2Vocab(DenseTokens(std::move(by_id), vocab_json));

  const std::string text = io::ReadTextFile(merges_txt);
  size_t line_no = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || (line_no == 1 && line.starts_with("#version"))) continue;
    CheckMerge(line, merges_txt, line_no);
    vocab.merges.push_back(std::move(line));
  }
  return vocab;
}

Vocab ReadHfTokenizerJson(const std::string& path) {
  const json doc = ParseJson(path);
  try {
    const json& model = doc.at("model");
    if (model.value("type", std::string()) != "BPE")
      Fail(ErrorKind::kUnsupported, "{}: model.type is {}, only \"BPE\" is supported", path,
           model.contains("type") ? model["type"].dump() : "missing");
    if (model.value("byte_fallback", false))
      Fail(ErrorKind::kUnsupported,
           "{}: SentencePiece-style BPE (byte_fallback); use the tokenizer.model", path);
    const json pre = doc.value("pre_tokenizer", json());
    if (!pre.is_null() &&
        !(pre.value("type", std::string()) == "ByteLevel" && pre.value("use_regex", true)))
      Fail(ErrorKind::kUnsupported, "{}: pre-tokenizer {} is not GPT-2's byte-level one", path,
           pre.dump());
    if (!doc.value("normalizer", json()).is_null())
      Fail(ErrorKind::kUnsupported, "{}: normalizer {} is not supported", path,
           doc["normalizer"].dump());

    std::map<int64_t, std::string> by_id;
    AddTokens(model.at("vocab"), path, by_id);
    std::map<int64_t, bool> special;
    for (const json& added : doc.value("added_tokens", json::array())) {
      const auto id = added.at("id").get<int64_t>();
      if (id < 0) Fail(ErrorKind::kInvalidInput, "{}: added token id {}", path, id);
      by_id[id] = added.at("content").get<std::string>();
      special[id] = added.value("special", false);
    }
    Vocab vocab = NewGpt2Vocab(DenseTokens(std::move(by_id), path));
    for (const auto& [id, is_special] : special)
      vocab.types[size_t(id)] = is_special ? TokenType::kControl : TokenType::kUserDefined;

    size_t index = 0;
    for (const json& merge : model.value("merges", json::array())) {
      ++index;
      std::string text = merge.is_array() && merge.size() == 2
                             ? merge[0].get<std::string>() + " " + merge[1].get<std::string>()
                             : merge.get<std::string>();
      CheckMerge(text, path + " merge", index);
      vocab.merges.push_back(std::move(text));
    }
    return vocab;
  } catch (const json::exception& e) {
    Fail(ErrorKind::kInvalidInput, "{}: unexpected tokenizer.json structure: {}", path, e.what());
  }
}

}  // namespace qforge::tokenizer
