// SpmVocabTokenizer: llama.cpp's SentencePiece BPE algorithm over an in-memory vocabulary.
#include "qforge/tokenizer/spm_vocab_tokenizer.h"

#include <cmath>
#include <limits>

#include "qforge/core/error.h"
#include "qforge/tokenizer/merge_queue.h"
#include "qforge/tokenizer/spm_piece.h"

namespace qforge::tokenizer {
namespace {

// Length of the UTF-8 sequence a lead byte starts; stray continuation bytes count as one character,
// as in llama.cpp's utf8_len, so arbitrary bytes still split into symbols.
uint32_t Utf8Length(unsigned char lead) {
  static constexpr uint8_t kLengths[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLengths[lead >> 4];
}

}  // namespace

SpmVocabTokenizer::SpmVocabTokenizer(Vocab vocab)
    : SpmVocabTokenizer(vocab, InferRemoveExtraWhitespaces(vocab)) {}

SpmVocabTokenizer::SpmVocabTokenizer(Vocab vocab, bool remove_extra_whitespaces)
    : VocabTokenizer(std::move(vocab)) {
  normalization_ = {vocab_.add_space_prefix, remove_extra_whitespaces};
  const size_t n = vocab_.tokens.size();
  if (vocab_.kind != VocabKind::kSentencePiece)
    Fail(ErrorKind::kInvalidInput,
         "SpmVocabTokenizer needs a SentencePiece vocabulary, got a BPE one");
  if (n == 0 || n > size_t(std::numeric_limits<int>::max()))
    Fail(ErrorKind::kInvalidInput, "SentencePiece vocabulary has {} tokens", n);
  if (!vocab_.scores.empty() && vocab_.scores.size() != n)
    Fail(ErrorKind::kInvalidInput, "SentencePiece vocabulary has {} tokens but {} scores", n,
         vocab_.scores.size());
  if (!vocab_.types.empty() && vocab_.types.size() != n)
    Fail(ErrorKind::kInvalidInput, "SentencePiece vocabulary has {} tokens but {} types", n,
         vocab_.types.size());
  for (const auto& [name, id] :
       {std::pair{"bos", vocab_.bos_id}, {"eos", vocab_.eos_id}, {"unk", vocab_.unk_id}})
    if (id >= int(n))
      Fail(ErrorKind::kInvalidInput, "SentencePiece vocabulary: {} id {} >= {} tokens", name, id,
           n);
  vocab_.scores.resize(n, 0.0f);
  vocab_.types.resize(n, TokenType::kNormal);

  byte_ids_.fill(-1);
  pieces_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const std::string& token = vocab_.tokens[i];
    const TokenType type = vocab_.types[i];
    if (type == TokenType::kByte) {
      if (const int b = ByteTokenValue(token); b >= 0 && byte_ids_[size_t(b)] < 0)
        byte_ids_[size_t(b)] = int(i);
    } else if (type == TokenType::kNormal || type == TokenType::kUserDefined ||
               type == TokenType::kUndefined) {
      // NaN would break the heap's ordering; such a piece simply merges last.
      float score = vocab_.scores[i];
      if (std::isnan(score)) score = -std::numeric_limits<float>::infinity();
      pieces_.try_emplace(token, Piece{int(i), score});  // first id wins for duplicate pieces
    }
  }
}

std::vector<int> SpmVocabTokenizer::Encode(std::string_view text, bool add_bos) const {
  std::vector<int> ids;
  if (add_bos && vocab_.bos_id >= 0) ids.push_back(vocab_.bos_id);
  if (text.size() > std::numeric_limits<uint32_t>::max() / 4)
    Fail(ErrorKind::kInvalidInput, "text of {} bytes is too long to tokenize at once", text.size());

  const std::string escaped = NormalizeSpm(text, normalization_);
  if (escaped.empty()) return ids;  // SentencePiece gives nothing for "" or all-space text
  std::vector<MergeSymbol> symbols;
  symbols.reserve(escaped.size());
  for (uint32_t offset = 0; offset < escaped.size();) {
    const uint32_t size =
        std::min<uint32_t>(Utf8Length(uint8_t(escaped[offset])), uint32_t(escaped.size()) - offset);
    const auto it = pieces_.find(std::string_view(escaped).substr(offset, size));
    symbols.push_back(MergeSymbol{offset, size, it == pieces_.end() ? -1 : it->second.id});
    offset += size;
  }
  LinkSymbols(symbols);

  // Adjacent symbols are adjacent spans of `escaped`, so the merged piece is one contiguous view.
  const std::string_view view(escaped);
  MergeGreedy(symbols,
              [&](const MergeSymbol& l, const MergeSymbol& r) -> std::optional<MergeCandidate> {
                const auto it = pieces_.find(view.substr(l.begin, l.size + r.size));
                if (it == pieces_.end()) return std::nullopt;
                return MergeCandidate{it->second.score, it->second.id};
              });

  ids.reserve(ids.size() + symbols.size());
  for (int i = 0; i >= 0; i = symbols[size_t(i)].next) {
    const MergeSymbol& s = symbols[size_t(i)];
    AppendSymbol(view, s.begin, s.size, s.id, ids);
  }
  return ids;
}

void SpmVocabTokenizer::AppendSymbol(std::string_view text, uint32_t begin, uint32_t size, int id,
                                     std::vector<int>& out) const {
  if (id >= 0) {
    out.push_back(id);
    return;
  }
  // A character that is no token: SentencePiece's byte fallback spells its UTF-8 bytes; a
  // vocabulary without byte tokens gives one unknown token for it instead.
  bool all_bytes = true;
  for (uint32_t j = 0; j < size; ++j)
    all_bytes = all_bytes && byte_ids_[uint8_t(text[begin + j])] >= 0;
  if (!all_bytes) {
    if (vocab_.unk_id < 0)
      Fail(ErrorKind::kInvalidInput,
           "text has a character that the vocabulary cannot spell (no byte or unk tokens)");
    out.push_back(vocab_.unk_id);
    return;
  }
  for (uint32_t j = 0; j < size; ++j) out.push_back(byte_ids_[uint8_t(text[begin + j])]);
}

std::string SpmVocabTokenizer::DecodeToken(int id) const {
  if (id < 0 || id >= vocab_size())
    Fail(ErrorKind::kInvalidInput, "token id {} is outside the vocabulary of {}", id, vocab_size());
  return PieceToText(vocab_.tokens[size_t(id)], vocab_.types[size_t(id)]);
}

bool SpmVocabTokenizer::is_control(int id) const {
  return id >= 0 && id < vocab_size() && vocab_.types[size_t(id)] == TokenType::kControl;
}

}  // namespace qforge::tokenizer
