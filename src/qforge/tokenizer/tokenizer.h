// The tokenizer interface: text <-> token ids, and the vocabulary in the form a GGUF file embeds.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "qforge/core/checkpoint.h"

namespace qforge::tokenizer {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Token ids of `text`, with BOS first when add_bos and the vocabulary uses a BOS (SentencePiece
  // does; GPT-2 does not, Vocab::add_bos false). Never appends EOS: the perplexity and evaluation
  // protocols decide where a sequence ends, not the tokenizer.
  virtual std::vector<int> Encode(std::string_view text, bool add_bos) const = 0;

  // The bytes token `id` stands for in output text: "▁" becomes " ", byte tokens "<0x0A>" the raw
  // byte, control tokens (BOS, EOS) nothing. Throws Error{kInvalidInput} for an id out of range.
  virtual std::string DecodeToken(int id) const = 0;

  // The concatenation of DecodeToken. SentencePiece-style tokenizers drop the one leading space
  // that the dummy prefix added, when the first text token carries it, so that
  // Decode(Encode(text)) == text.
  virtual std::string Decode(std::span<const int> ids) const;

  virtual int bos_id() const = 0;  // -1 when the vocabulary has none
  virtual int eos_id() const = 0;
  virtual int vocab_size() const = 0;

  // The vocabulary in GGUF form (tokenizer.ggml.*), so a GGUF writer can embed it in a file that
  // llama.cpp loads: kind kSentencePiece -> tokenizer.ggml.model "llama", kGpt2Bpe -> "gpt2".
  virtual Vocab ToVocab() const = 0;

 protected:
  // Whether Decode strips the dummy-prefix space (SentencePiece's add_dummy_prefix).
  virtual bool strips_dummy_prefix() const { return false; }
  // Control tokens decode to nothing and do not count as "the first token" for that stripping.
  virtual bool is_control(int id) const { return false; }
};

// A tokenizer that owns its vocabulary in GGUF form (SpmVocabTokenizer, Gpt2BpeTokenizer): the
// special ids, the size and ToVocab come straight from it.
class VocabTokenizer : public Tokenizer {
 public:
  int bos_id() const override { return vocab_.bos_id; }
  int eos_id() const override { return vocab_.eos_id; }
  int vocab_size() const override { return int(vocab_.tokens.size()); }
  Vocab ToVocab() const override { return vocab_; }

 protected:
  explicit VocabTokenizer(Vocab vocab) : vocab_(std::move(vocab)) {}
  Vocab vocab_;
};

}  // namespace qforge::tokenizer
