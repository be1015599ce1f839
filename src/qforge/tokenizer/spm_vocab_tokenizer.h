// A SentencePiece BPE tokenizer built from a Vocab: for vocabularies embedded in GGUF files and
// llama2.c tokenizer.bin, where no .model file exists. Follows llama.cpp's llm_tokenizer_spm.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <unordered_map>

#include "qforge/tokenizer/spm_piece.h"
#include "qforge/tokenizer/tokenizer.h"

namespace qforge::tokenizer {

class SpmVocabTokenizer : public VocabTokenizer {
 public:
  // Throws Error{kInvalidInput} when the vocabulary is not a SentencePiece one or is inconsistent
  // (scores or types of another length, special ids out of range).
  // remove_extra_whitespaces is SentencePiece's NormalizerSpec flag, which a Vocab does not carry;
  // the one-argument form infers it (InferRemoveExtraWhitespaces).
  SpmVocabTokenizer(Vocab vocab, bool remove_extra_whitespaces);
  explicit SpmVocabTokenizer(Vocab vocab);

  // Normalizes as SentencePiece does (NormalizeSpm), splits into UTF-8 characters, merges
  // the adjacent pair whose concatenation is the highest-scoring token (ties: leftmost) until none
  // is, then spells pieces that are not tokens as <0xXX> byte tokens (or unk without them).
  std::vector<int> Encode(std::string_view text, bool add_bos) const override;
  std::string DecodeToken(int id) const override;

  bool remove_extra_whitespaces() const { return normalization_.remove_extra_whitespaces; }

 protected:
  bool strips_dummy_prefix() const override { return vocab_.add_space_prefix; }
  bool is_control(int id) const override;

 private:
  // Heterogeneous lookup: candidate pieces are string_views into the escaped text, never copied.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  struct Piece {
    int id;
    float score;
  };

  void AppendSymbol(std::string_view text, uint32_t begin, uint32_t size, int id,
                    std::vector<int>& out) const;

  SpmNormalization normalization_;
  // Only normal and user-defined pieces take part in merging, as in SentencePiece's BPE model:
  // control, unknown, byte and unused pieces are never produced by merging text.
  std::unordered_map<std::string, Piece, Hash, std::equal_to<>> pieces_;
  std::array<int, 256> byte_ids_{};  // <0xXX> token per byte, -1 when the vocabulary lacks it
};

}  // namespace qforge::tokenizer
