// GPT-2's byte-level pieces: the regex pre-tokenizer written out by hand, and bytes_to_unicode.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace qforge::tokenizer {

// Splits text as GPT-2's pattern
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// does, with ICU's character properties for \p{L}, \p{N} and \s (White_Space). Written as code over
// code points rather than with a regex library: the lookahead is the only backtracking, and it is
// one rule (a whitespace run followed by text leaves its last character to the next piece). Bytes
// that are not valid UTF-8 count as punctuation. The pieces are views into `text` and cover it
// exactly.
std::vector<std::string_view> SplitGpt2Words(std::string_view text);

// GPT-2's bytes_to_unicode: every byte as a printable code point (UTF-8), so that byte strings can
// be stored as text tokens; printable ASCII and most Latin-1 map to themselves, the rest to U+0100
// up.
const std::array<std::string, 256>& ByteToUnicode();

// The inverse for one code point, or -1 when the code point is not in the table.
int UnicodeToByte(char32_t code_point);

}  // namespace qforge::tokenizer
