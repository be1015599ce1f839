// Piece <-> text conversions for SentencePiece vocabularies.
#include "qforge/tokenizer/spm_piece.h"

namespace qforge::tokenizer {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

int ByteTokenValue(std::string_view piece) {
  if (piece.size() != 6 || !piece.starts_with("<0x") || piece[5] != '>') return -1;
  const int hi = HexDigit(piece[3]), lo = HexDigit(piece[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

std::string PieceToText(std::string_view piece, TokenType type) {
  switch (type) {
    case TokenType::kControl:
      return "";
    case TokenType::kUnknown:
      return std::string(kSpmUnknownSurface);
    case TokenType::kByte:
      if (const int b = ByteTokenValue(piece); b >= 0) return std::string(1, char(b));
      break;
    case TokenType::kUndefined:
    case TokenType::kNormal:
    case TokenType::kUserDefined:
    case TokenType::kUnused:
      break;
  }
  std::string text;
  text.reserve(piece.size());
  for (size_t i = 0; i < piece.size();) {
    if (piece.substr(i).starts_with(kSpmSpace)) {
      text += ' ';
      i += kSpmSpace.size();
    } else {
      text += piece[i++];
    }
  }
  return text;
}

std::string NormalizeSpm(std::string_view text, const SpmNormalization& normalization) {
  const bool fold = normalization.remove_extra_whitespaces;
  if (fold) {
    const size_t first = text.find_first_not_of(' ');
    if (first == std::string_view::npos) return "";
    text = text.substr(first, text.find_last_not_of(' ') - first + 1);
  }
  std::string out;
  if (text.empty()) return out;
  out.reserve(text.size() + text.size() / 4 + kSpmSpace.size());
  if (normalization.add_dummy_prefix) out += kSpmSpace;
  bool prev_space = false;
  for (const char c : text) {
    if (c != ' ') {
      out += c;
      prev_space = false;
    } else if (!(fold && prev_space)) {
      out += kSpmSpace;
      prev_space = true;
    }
  }
  return out;
}

bool InferRemoveExtraWhitespaces(const Vocab& vocab) {
  const std::string two_spaces = std::string(kSpmSpace) + std::string(kSpmSpace);
  for (const std::string& token : vocab.tokens)
    if (token.find(two_spaces) != std::string::npos) return false;
  return true;
}

}  // namespace qforge::tokenizer
