// SentencePiece tokenizers against the ids SentencePiece 0.1.97 itself gave
// (reference/stories260K).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "qforge/core/error.h"
#include "qforge/io/mapped_file.h"
#include "qforge/tokenizer/llama2c_vocab.h"
#include "qforge/tokenizer/sentencepiece_tokenizer.h"
#include "qforge/tokenizer/spm_vocab_tokenizer.h"
#include "support/paths.h"

namespace qforge::tokenizer {
namespace {

struct Case {
  std::string text;
  std::vector<int> ids;
};

std::vector<Case> ReferenceCases() {
  const auto doc =
      nlohmann::json::parse(io::ReadTextFile(test::Shared("reference/stories260K/tokens.json")));
  std::vector<Case> cases;
  for (const auto& c : doc.at("cases"))
    cases.push_back({c.at("text"), c.at("ids").get<std::vector<int>>()});
  return cases;
}

const std::string kModel = test::Shared("models/stories260K/tok512.model");
const std::string kBin = test::Shared("models/stories260K/tok512.bin");

// The text SentencePiece gives back for tok512.model: its NormalizerSpec keeps the default
// remove_extra_whitespaces, so leading and trailing spaces go and runs of spaces fold to one.
std::string Folded(const std::string& text) {
  std::string out;
  for (const char c : text)
    if (c != ' ' || (!out.empty() && out.back() != ' ')) out += c;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

void ExpectReferenceIds(const Tokenizer& tok) {
  const auto cases = ReferenceCases();
  ASSERT_GE(cases.size(), 5u);
  for (const Case& c : cases) {
    EXPECT_EQ(tok.Encode(c.text, /*add_bos=*/false), c.ids) << "text: " << c.text;
    EXPECT_EQ(tok.Decode(c.ids), Folded(c.text));
    std::vector<int> with_bos = c.ids;
    with_bos.insert(with_bos.begin(), 1);
    EXPECT_EQ(tok.Encode(c.text, /*add_bos=*/true), with_bos);
    EXPECT_EQ(tok.Decode(with_bos), Folded(c.text));
  }
}

TEST(SpmReference, SentencePieceModel) {
  SentencePieceTokenizer tok(kModel);
  EXPECT_EQ(tok.vocab_size(), 512);
  EXPECT_EQ(tok.bos_id(), 1);
  EXPECT_EQ(tok.eos_id(), 2);
  EXPECT_TRUE(tok.add_dummy_prefix());
  ExpectReferenceIds(tok);
}

TEST(SpmReference, VocabFromLlama2cBin) {
  SpmVocabTokenizer tok(ReadLlama2cVocab(kBin, 512));
  EXPECT_EQ(tok.vocab_size(), 512);
  ExpectReferenceIds(tok);
}

TEST(SpmReference, VocabFromSentencePieceToVocab) {
  SentencePieceTokenizer model(kModel);
  SpmVocabTokenizer tok(model.ToVocab(), model.normalization().remove_extra_whitespaces);
  ExpectReferenceIds(tok);
  // Inferring the flag from the pieces (no "▁▁" piece) reaches the same answer.
  EXPECT_TRUE(model.normalization().remove_extra_whitespaces);
  EXPECT_TRUE(SpmVocabTokenizer(model.ToVocab()).remove_extra_whitespaces());
}

// tok512.bin is llama2.c's export of tok512.model (MANIFEST.md): read back, it is the same
// vocabulary.
TEST(SpmReference, Llama2cBinEqualsModelVocab) {
  const Vocab from_model = SentencePieceTokenizer(kModel).ToVocab();
  const Vocab from_bin = ReadLlama2cVocab(kBin, 0);
  EXPECT_EQ(from_bin.tokens, from_model.tokens);
  EXPECT_EQ(from_bin.scores, from_model.scores);
  EXPECT_EQ(from_bin.types, from_model.types);
  EXPECT_EQ(from_bin.bos_id, from_model.bos_id);
  EXPECT_EQ(from_bin.eos_id, from_model.eos_id);
  EXPECT_EQ(from_bin.unk_id, from_model.unk_id);
  EXPECT_EQ(from_bin.add_space_prefix, from_model.add_space_prefix);
  EXPECT_EQ(from_model.kind, VocabKind::kSentencePiece);
}

TEST(SpmReference, DecodeToken) {
  SentencePieceTokenizer model(kModel);
  SpmVocabTokenizer vocab(model.ToVocab());
  for (const Tokenizer* tok :
       {static_cast<const Tokenizer*>(&model), static_cast<const Tokenizer*>(&vocab)}) {
    EXPECT_EQ(tok->DecodeToken(1), "");           // <s>
    EXPECT_EQ(tok->DecodeToken(2), "");           // </s>
    EXPECT_EQ(tok->DecodeToken(3 + 0x0A), "\n");  // <0x0A>: byte tokens follow the 3 specials
    EXPECT_THROW(tok->DecodeToken(512), Error);
    EXPECT_THROW(tok->DecodeToken(-1), Error);
    for (int id = 3 + 256; id < 512; ++id)
      EXPECT_EQ(tok->DecodeToken(id), model.DecodeToken(id)) << id;
  }
  // "▁" decodes to a space, except at the start, where it is the dummy prefix; BOS does not count.
  const std::vector<int> ids = model.Encode("a b", true);
  EXPECT_EQ(model.Decode(ids), "a b");
  EXPECT_EQ(model.DecodeToken(ids[1]).substr(0, 1), " ");
}

// Both implementations must also agree on text the reference does not cover.
TEST(SpmReference, ImplementationsAgreeOnMixedText) {
  SentencePieceTokenizer model(kModel);
  SpmVocabTokenizer vocab(ReadLlama2cVocab(kBin, 512));
  for (const std::string text :
       {"  two  spaces  ", "\n\nnewlines\n", "tab\there", "ÄÖÜ äöü ß", "日本語のテキスト", "a", " ",
        "x y z", "\xF0\x9F\x98\x80\xF0\x9F\x98\x81", "Lily's mom said: \"No!\""}) {
    EXPECT_EQ(vocab.Encode(text, true), model.Encode(text, true)) << text;
    EXPECT_EQ(vocab.Decode(vocab.Encode(text, true)), Folded(text));
  }
}

// Random text over an alphabet chosen to exercise merges, space folding, byte fallback and
// multi-byte characters: the in-house algorithm must give libsentencepiece's ids every time.
TEST(SpmReference, ImplementationsAgreeOnRandomText) {
  SentencePieceTokenizer model(kModel);
  SpmVocabTokenizer vocab(ReadLlama2cVocab(kBin, 512));
  const std::vector<std::string> alphabet = {"a", "e", "t",  "h",  "o",  "n",   "s",
                                             " ", " ", "  ", "\n", "\t", ".",   ",",
                                             "'", "T", "é",  "日", "😀",  "the", "ing"};
  std::mt19937 rng(12345);
  for (int trial = 0; trial < 500; ++trial) {
    std::string text;
    const int n = int(rng() % 40);
    for (int i = 0; i < n; ++i) text += alphabet[rng() % alphabet.size()];
    ASSERT_EQ(vocab.Encode(text, true), model.Encode(text, true)) << "text: [" << text << "]";
    EXPECT_EQ(vocab.Decode(vocab.Encode(text, true)), Folded(text));
  }
}

// The Llama 2 vocabulary keeps runs of spaces (its NormalizerSpec sets remove_extra_whitespaces
// false): the flag inferred from its tokenizer.bin must agree, and so must the ids.
TEST(SpmReference, Llama2VocabAgreesWithItsModel) {
  SentencePieceTokenizer model(test::Shared("models/llama2-tokenizer/tokenizer.model"));
  SpmVocabTokenizer vocab(
      ReadLlama2cVocab(test::Shared("models/llama2-tokenizer/tokenizer.bin"), 32000));
  EXPECT_FALSE(model.normalization().remove_extra_whitespaces);
  EXPECT_FALSE(vocab.remove_extra_whitespaces());
  const std::string story =
      io::ReadTextFile(test::Shared("data/tinystories/tinystories_valid_head.txt"))
          .substr(0, 100000);
  EXPECT_TRUE(vocab.Encode(story, true) == model.Encode(story, true));
  for (const std::string text : {"  two  spaces  ", " leading", "def f():\n    return 1",
                                 "naïve café 😀 日本語", "Hello world", "\t\ttabs\n\n"}) {
    EXPECT_EQ(vocab.Encode(text, true), model.Encode(text, true)) << text;
    EXPECT_EQ(vocab.Decode(vocab.Encode(text, true)), text);
    EXPECT_EQ(model.Decode(model.Encode(text, true)), text);
  }
}

}  // namespace
}  // namespace qforge::tokenizer
