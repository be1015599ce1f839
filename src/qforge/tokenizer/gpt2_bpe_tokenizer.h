// GPT-2 style byte-level BPE: GPT-2's vocab.json + merges.txt, Hugging Face tokenizer.json (BPE),
// and GGUF vocabularies with tokenizer.ggml.model "gpt2".
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "qforge/tokenizer/tokenizer.h"

namespace qforge::tokenizer {

class Gpt2BpeTokenizer : public VocabTokenizer {
 public:
  // From a vocabulary of kind kGpt2Bpe: tokens in byte-level form ("Ġ" for space), merges "a b" in
  // priority order. Throws Error{kInvalidInput} naming `source` when a merge names an unknown token
  // or a byte has no token.
  explicit Gpt2BpeTokenizer(Vocab vocab, std::string source = "vocabulary");

  // vocab.json ({"token": id}) and merges.txt (one "a b" per line, an optional "#version" first
  // line).
  static std::unique_ptr<Gpt2BpeTokenizer> FromVocabAndMerges(const std::string& vocab_json,
                                                              const std::string& merges_txt);
  // A Hugging Face tokenizer.json whose model.type is "BPE" (merges as "a b" or ["a", "b"]);
  // added_tokens become control (special) or user-defined tokens.
  static std::unique_ptr<Gpt2BpeTokenizer> FromTokenizerJson(const std::string& path);

  // Splits with GPT-2's pre-tokenizer, maps bytes to tokens and applies merges, lowest rank first.
  // GPT-2 has no BOS: add_bos adds one only when the vocabulary defines one and asks for it.
  std::vector<int> Encode(std::string_view text, bool add_bos) const override;
  std::string DecodeToken(int id) const override;

 protected:
  bool is_control(int id) const override;

 private:
  struct Merge {
    int rank;
    int id;  // the merged token
  };
  void EncodeWord(std::string_view word, std::vector<int>& out) const;

  std::string source_;
  std::array<int, 256> byte_ids_{};             // token of each single byte
  std::unordered_map<uint64_t, Merge> merges_;  // (left id << 32 | right id) -> merge
  // Words repeat heavily in text; caching their ids skips the merge loop. Encode is const and may
  // run on several threads, hence the mutex; the cache is cleared when it grows past a bound.
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int>> cache_;
};

}  // namespace qforge::tokenizer
