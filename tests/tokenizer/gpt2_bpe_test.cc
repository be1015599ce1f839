// GPT-2 byte-level BPE against the ids of OpenAI's encoder algorithm (reference/gpt2-tokenizer).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "qforge/core/error.h"
#include "qforge/io/mapped_file.h"
#include "qforge/tokenizer/gpt2_bpe_tokenizer.h"
#include "qforge/tokenizer/gpt2_pretokenizer.h"
#include "support/paths.h"

namespace qforge::tokenizer {
namespace {

using ::testing::ElementsAre;

const std::string kVocab = test::Shared("models/gpt2-tokenizer/vocab.json");
const std::string kMerges = test::Shared("models/gpt2-tokenizer/merges.txt");

const Gpt2BpeTokenizer& Gpt2() {
  static const auto tok = Gpt2BpeTokenizer::FromVocabAndMerges(kVocab, kMerges);
  return *tok;
}

TEST(Gpt2Bpe, ReferenceIdsAndRoundTrip) {
  const auto doc =
      nlohmann::json::parse(io::ReadTextFile(test::Shared("reference/gpt2-tokenizer/tokens.json")));
  ASSERT_GE(doc.at("cases").size(), 5u);
  for (const auto& c : doc.at("cases")) {
    const std::string text = c.at("text");
    const auto ids = c.at("ids").get<std::vector<int>>();
    EXPECT_EQ(Gpt2().Encode(text, /*add_bos=*/false), ids) << "text: " << text;
    EXPECT_EQ(Gpt2().Decode(ids), text);
    // GPT-2 has no BOS: asking for one changes nothing.
    EXPECT_EQ(Gpt2().Encode(text, /*add_bos=*/true), ids);
  }
}

TEST(Gpt2Bpe, VocabularyFacts) {
  EXPECT_EQ(Gpt2().vocab_size(), 50257);
  EXPECT_EQ(Gpt2().eos_id(), 50256);  // "<|endoftext|>"
  const Vocab vocab = Gpt2().ToVocab();
  EXPECT_EQ(vocab.kind, VocabKind::kGpt2Bpe);
  EXPECT_EQ(vocab.merges.size(), 50000u);         // MANIFEST.md: 50,000 merge rules
  EXPECT_EQ(vocab.merges.front(), "\xC4\xA0 t");  // "Ġ t", the first line of merges.txt
  EXPECT_FALSE(vocab.add_bos);
  EXPECT_EQ(vocab.types[50256], TokenType::kControl);
  EXPECT_EQ(Gpt2().DecodeToken(50256), "");
  EXPECT_EQ(Gpt2().DecodeToken(198), "\n");  // "Ċ" is byte 0x0A in bytes_to_unicode
  EXPECT_THROW(Gpt2().DecodeToken(50257), Error);
}

// Rebuilding from ToVocab (as a GGUF round trip would) encodes identically.
TEST(Gpt2Bpe, FromOwnVocab) {
  Gpt2BpeTokenizer again(Gpt2().ToVocab());
  for (const std::string text : {"Hello, world!", "   multiple   spaces\t\ttabs\n\n", "naïve café"})
    EXPECT_EQ(again.Encode(text, false), Gpt2().Encode(text, false));
}

// Arbitrary bytes survive encode/decode: byte-level BPE is lossless even for invalid UTF-8.
TEST(Gpt2Bpe, LosslessOnArbitraryBytes) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += char(i);
  bytes += "\xE2\x82 broken \xF0\x9F\x98 sequences \xC0\xAF";
  EXPECT_EQ(Gpt2().Decode(Gpt2().Encode(bytes, false)), bytes);
}

// The pieces of the pre-tokenizer, per the pattern's rules (contractions, " ?\p{L}+", the
// lookahead).
TEST(Gpt2PreTokenizer, Pieces) {
  EXPECT_THAT(SplitGpt2Words("I'll can't 'S"), ElementsAre("I", "'ll", " can", "'t", " '", "S"));
  EXPECT_THAT(SplitGpt2Words("a  b\n\nc"), ElementsAre("a", " ", " b", "\n", "\n", "c"));
  EXPECT_THAT(SplitGpt2Words("x   "), ElementsAre("x", "   "));
  EXPECT_THAT(SplitGpt2Words(" 42abc!?"), ElementsAre(" 42", "abc", "!?"));
  EXPECT_THAT(SplitGpt2Words("日本 ½ Ⅻ"), ElementsAre("日本", " ½", " Ⅻ"));  // Lo, No, Nl
  EXPECT_THAT(SplitGpt2Words("\u00A0x"), ElementsAre("\u00A0", "x"));  // NBSP is \s but not " "
  EXPECT_TRUE(SplitGpt2Words("").empty());
}

TEST(Gpt2PreTokenizer, ByteToUnicodeIsABijection) {
  for (int b = 0; b < 256; ++b) {
    const std::string& s = ByteToUnicode()[size_t(b)];
    const char32_t cp = s.size() == 1
                            ? char32_t(uint8_t(s[0]))
                            : char32_t((uint8_t(s[0]) & 0x1F) << 6 | (uint8_t(s[1]) & 0x3F));
    EXPECT_EQ(UnicodeToByte(cp), b);
  }
  EXPECT_EQ(ByteToUnicode()[' '], "\xC4\xA0");  // Ġ = U+0120
  EXPECT_EQ(ByteToUnicode()['A'], "A");
}

}  // namespace
}  // namespace qforge::tokenizer
