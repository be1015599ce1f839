// SentencePiece conventions shared by its tokenizers: "▁" for space, <0xXX> byte pieces.
#pragma once

#include <string>
#include <string_view>

#include "qforge/core/checkpoint.h"

namespace qforge::tokenizer {

// U+2581 LOWER ONE EIGHTH BLOCK: SentencePiece's visible stand-in for a space inside pieces.
inline constexpr std::string_view kSpmSpace = "\xE2\x96\x81";

// What SentencePiece prints for an unknown token (" ⁇ "), so that a lossy decode is visible.
inline constexpr std::string_view kSpmUnknownSurface = " \xE2\x81\x87 ";

// The byte a byte-fallback piece "<0xXX>" stands for, or -1 when `piece` is not of that form.
int ByteTokenValue(std::string_view piece);

// The text a piece of the given type stands for in output (see Tokenizer::DecodeToken).
std::string PieceToText(std::string_view piece, TokenType type);

// The NormalizerSpec flags that change ids for the "identity" normalization rules that Llama-family
// SentencePiece models use (no Unicode normalization, only whitespace handling).
struct SpmNormalization {
  // One "▁" in front of non-empty text.
  bool add_dummy_prefix = true;
  // Strip leading and trailing spaces, fold runs of spaces to one.
  bool remove_extra_whitespaces = true;
};

// SentencePiece's normalizer for those rules: optionally folds spaces, escapes " " as "▁" and adds
// the dummy prefix. Text that is empty after stripping stays empty (no prefix), as in
// SentencePiece. Only U+0020 counts as a space; tabs and newlines are ordinary characters. Invalid
// UTF-8 passes through as raw bytes (SentencePiece would substitute U+FFFD; llama.cpp keeps the
// bytes).
std::string NormalizeSpm(std::string_view text, const SpmNormalization& normalization);

// Whether a vocabulary was trained on whitespace-folded text, for vocabularies that arrive without
// their NormalizerSpec (llama2.c tokenizer.bin, GGUF). A model trained with folding never saw two
// spaces in a row, so it has no piece containing "▁▁"; Llama's own tokenizer (no folding) has many
// ("▁▁", "▁▁▁▁", ... for indentation). llama2.c's train_vocab keeps SentencePiece's default (fold).
bool InferRemoveExtraWhitespaces(const Vocab& vocab);

}  // namespace qforge::tokenizer
