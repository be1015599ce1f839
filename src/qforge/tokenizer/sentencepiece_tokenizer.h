// A tokenizer over libsentencepiece, loading a SentencePiece .model file (Llama, llama2.c
// tok*.model).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "qforge/tokenizer/spm_piece.h"
#include "qforge/tokenizer/tokenizer.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace qforge::tokenizer {

class SentencePieceTokenizer : public Tokenizer {
 public:
  // Throws Error{kIo} when the file cannot be read, Error{kInvalidInput} when it is not a
  // SentencePiece model; both name the path.
  explicit SentencePieceTokenizer(const std::string& path);
  ~SentencePieceTokenizer() override;

  std::vector<int> Encode(std::string_view text, bool add_bos) const override;
  std::string DecodeToken(int id) const override;
  int bos_id() const override;
  int eos_id() const override;
  int vocab_size() const override;
  Vocab ToVocab() const override;

  const std::string& path() const { return path_; }
  bool add_dummy_prefix() const { return normalization_.add_dummy_prefix; }
  // The NormalizerSpec flags, for building an SpmVocabTokenizer that encodes identically.
  const SpmNormalization& normalization() const { return normalization_; }

 protected:
  bool strips_dummy_prefix() const override { return normalization_.add_dummy_prefix; }
  bool is_control(int id) const override;

 private:
  TokenType TypeOf(int id) const;

  std::string path_;
  std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
  SpmNormalization normalization_;
  std::vector<bool> user_defined_;  // from the model proto: 0.1.97 has no IsUserDefined()
};

}  // namespace qforge::tokenizer
