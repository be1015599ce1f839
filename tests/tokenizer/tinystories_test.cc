// The whole TinyStories evaluation text through both SentencePiece implementations: the token count
// is the one in reference/stories260K/ppl.json (tokens_in_text, BOS included), and they agree.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "qforge/io/mapped_file.h"
#include "qforge/tokenizer/llama2c_vocab.h"
#include "qforge/tokenizer/sentencepiece_tokenizer.h"
#include "qforge/tokenizer/spm_vocab_tokenizer.h"
#include "support/paths.h"

namespace qforge::tokenizer {
namespace {

template <typename F>
double Seconds(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(TinyStories, WholeTextTokenCountAndAgreement) {
  const std::string text =
      io::ReadTextFile(test::Shared("data/tinystories/tinystories_valid_head.txt"));
  const auto ppl =
      nlohmann::json::parse(io::ReadTextFile(test::Shared("reference/stories260K/ppl.json")));
  const size_t expected_count = ppl.at("tokens_in_text").get<size_t>();

  SentencePieceTokenizer model(test::Shared("models/stories260K/tok512.model"));
  SpmVocabTokenizer vocab(ReadLlama2cVocab(test::Shared("models/stories260K/tok512.bin"), 512));

  std::vector<int> from_model, from_vocab;
  const double model_s = Seconds([&] { from_model = model.Encode(text, /*add_bos=*/true); });
  const double vocab_s = Seconds([&] { from_vocab = vocab.Encode(text, /*add_bos=*/true); });
  std::printf("tokenized %zu bytes: libsentencepiece %.3f s, SpmVocabTokenizer %.3f s\n",
              text.size(), model_s, vocab_s);

  EXPECT_EQ(from_model.size(), expected_count);
  EXPECT_EQ(from_vocab.size(), expected_count);
  EXPECT_TRUE(from_vocab == from_model);  // not EXPECT_EQ: a failure would print 393k ids
  ASSERT_FALSE(from_vocab.empty());
  EXPECT_EQ(from_vocab[0], 1);
  // A generous bound (shared 2-core machine, possibly a sanitizer build); O(n^2) merging would take
  // minutes on 800 KB.
  EXPECT_LT(vocab_s, 5.0);
}

}  // namespace
}  // namespace qforge::tokenizer
