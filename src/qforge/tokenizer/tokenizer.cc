// Tokenizer::Decode, shared by every tokenizer: concatenation plus SentencePiece's dummy-prefix
// rule.
#include "qforge/tokenizer/tokenizer.h"

namespace qforge::tokenizer {

std::string Tokenizer::Decode(std::span<const int> ids) const {
  std::string out;
  bool at_start = strips_dummy_prefix();
  for (const int id : ids) {
    std::string piece = DecodeToken(id);
    // SentencePiece removes the space its normalizer prepended, and only that one: it belongs to
    // the first token that is not a control token (BOS decodes to nothing and is skipped).
    if (at_start && !is_control(id)) {
      if (!piece.empty() && piece[0] == ' ') piece.erase(0, 1);
      at_start = false;
    }
    out += piece;
  }
  return out;
}

}  // namespace qforge::tokenizer
