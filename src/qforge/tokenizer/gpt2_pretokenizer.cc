// SplitGpt2Words and the GPT-2 byte <-> unicode table.
#include "qforge/tokenizer/gpt2_pretokenizer.h"

#include <unicode/uchar.h>

#include <cstdint>

namespace qforge::tokenizer {
namespace {

enum class CharClass : uint8_t { kLetter, kNumber, kSpace, kOther };

struct CodePoint {
  uint32_t begin;  // byte offset in the text
  char32_t value;
  CharClass cls;
};

// Decodes one UTF-8 sequence at text[pos]; returns its length, or 1 with value -1 when invalid.
size_t DecodeUtf8(std::string_view text, size_t pos, int32_t* value) {
  const auto lead = uint8_t(text[pos]);
  size_t len = lead < 0x80           ? 1
               : (lead >> 5) == 0x6  ? 2
               : (lead >> 4) == 0xE  ? 3
               : (lead >> 3) == 0x1E ? 4
                                     : 0;
  if (len == 1) {
    *value = lead;
    return 1;
  }
  *value = -1;
  if (len == 0 || pos + len > text.size()) return 1;
  int32_t cp = lead & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) {
    const auto b = uint8_t(text[pos + k]);
    if ((b & 0xC0) != 0x80) return 1;
    cp = (cp << 6) | (b & 0x3F);
  }
  static constexpr int32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};  // reject overlong forms
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 1;
  *value = cp;
  return len;
}

CharClass Classify(int32_t cp) {
  if (cp < 0) return CharClass::kOther;
  if (u_isUWhiteSpace(cp)) return CharClass::kSpace;
  switch (u_charType(cp)) {
    case U_UPPERCASE_LETTER:
    case U_LOWERCASE_LETTER:
    case U_TITLECASE_LETTER:
    case U_MODIFIER_LETTER:
    case U_OTHER_LETTER:
      return CharClass::kLetter;
    case U_DECIMAL_DIGIT_NUMBER:
    case U_LETTER_NUMBER:
    case U_OTHER_NUMBER:
      return CharClass::kNumber;
    default:
      return CharClass::kOther;
  }
}

// Length (in code points) of the contraction 's 't 're 've 'm 'll 'd at i, or 0. Case-sensitive, as
// GPT-2's pattern is.
size_t ContractionAt(const std::vector<CodePoint>& cps, size_t i) {
  if (cps[i].value != U'\'' || i + 1 >= cps.size()) return 0;
  const char32_t a = cps[i + 1].value;
  if (a == U's' || a == U't' || a == U'm' || a == U'd') return 2;
  if (i + 2 >= cps.size()) return 0;
  const char32_t b = cps[i + 2].value;
  return (a == U'r' && b == U'e') || (a == U'v' && b == U'e') || (a == U'l' && b == U'l') ? 3 : 0;
}

// Code points from i while the class is `cls`.
size_t RunEnd(const std::vector<CodePoint>& cps, size_t i, CharClass cls) {
  while (i < cps.size() && cps[i].cls == cls) ++i;
  return i;
}

// End (exclusive, in code points) of the piece that starts at i.
size_t PieceEnd(const std::vector<CodePoint>& cps, size_t i) {
  if (const size_t n = ContractionAt(cps, i)) return i + n;
  const CharClass cls = cps[i].cls;
  if (cls != CharClass::kSpace) return RunEnd(cps, i, cls);  // \p{L}+, \p{N}+ or [^\s\p{L}\p{N}]+
  // " ?X+": one space joins the letters, digits or punctuation that follow it.
  if (cps[i].value == U' ' && i + 1 < cps.size() && cps[i + 1].cls != CharClass::kSpace)
    return RunEnd(cps, i + 1, cps[i + 1].cls);
  // \s+(?!\S) backs off one character when text follows, so that character can lead the next
  // piece; a single whitespace character before text falls through to \s+ and stands alone.
  const size_t end = RunEnd(cps, i, CharClass::kSpace);
  if (end == cps.size() || end - i == 1) return end;
  return end - 1;
}

// The bytes that GPT-2's bytes_to_unicode keeps as themselves: printable ASCII and Latin-1.
bool IsPrintableByte(int b) {
  return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

}  // namespace

std::vector<std::string_view> SplitGpt2Words(std::string_view text) {
  std::vector<CodePoint> cps;
  cps.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    int32_t value = 0;
    const size_t len = DecodeUtf8(text, pos, &value);
    cps.push_back({uint32_t(pos), value < 0 ? char32_t(0xFFFD) : char32_t(value), Classify(value)});
    pos += len;
  }
  std::vector<std::string_view> words;
  for (size_t i = 0; i < cps.size();) {
    const size_t end = PieceEnd(cps, i);
    const size_t byte_end = end < cps.size() ? cps[end].begin : text.size();
    words.push_back(text.substr(cps[i].begin, byte_end - cps[i].begin));
    i = end;
  }
  return words;
}

const std::array<std::string, 256>& ByteToUnicode() {
  static const std::array<std::string, 256> table = [] {
    std::array<std::string, 256> t;
    int next = 256;  // bytes that are not printable get U+0100, U+0101, ... in byte order
    for (int b = 0; b < 256; ++b) {
      const int cp = IsPrintableByte(b) ? b : next++;
      // All code points here are below U+0800: one or two UTF-8 bytes.
      t[size_t(b)] = cp < 0x80 ? std::string(1, char(cp))
                               : std::string{char(0xC0 | (cp >> 6)), char(0x80 | (cp & 0x3F))};
    }
    return t;
  }();
  return table;
}

int UnicodeToByte(char32_t code_point) {
  static const std::array<int16_t, 0x144> inverse = [] {
    std::array<int16_t, 0x144> inv;
    inv.fill(-1);
    int next = 256;
    for (int b = 0; b < 256; ++b) {
      inv[size_t(IsPrintableByte(b) ? b : next++)] = int16_t(b);
    }
    return inv;
  }();
  return code_point < inverse.size() ? inverse[code_point] : -1;
}

}  // namespace qforge::tokenizer
