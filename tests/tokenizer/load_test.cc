// LoadTokenizer picks the right reader for each file form; FindTokenizerBeside finds llama2.c
// names.
#include "qforge/tokenizer/load.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "qforge/io/mapped_file.h"
#include "qforge/tokenizer/gpt2_bpe_tokenizer.h"
#include "qforge/tokenizer/sentencepiece_tokenizer.h"
#include "qforge/tokenizer/spm_vocab_tokenizer.h"
#include "support/paths.h"
#include "temp_dir.h"

namespace qforge::tokenizer {
namespace {

using nlohmann::json;

// "Hello world" from both reference files.
const std::vector<int> kSpmHello = {346, 306, 414, 263, 304, 341};
const std::vector<int> kGpt2Hello = {15496, 995};

TEST(Load, ChoosesByName) {
  const auto model = LoadTokenizer(test::Shared("models/stories260K/tok512.model"), 512);
  EXPECT_NE(dynamic_cast<const SentencePieceTokenizer*>(model.get()), nullptr);
  EXPECT_EQ(model->Encode("Hello world", false), kSpmHello);

  const auto bin = LoadTokenizer(test::Shared("models/stories260K/tok512.bin"), 512);
  EXPECT_NE(dynamic_cast<const SpmVocabTokenizer*>(bin.get()), nullptr);
  EXPECT_EQ(bin->Encode("Hello world", false), kSpmHello);
  EXPECT_EQ(LoadTokenizer(test::Shared("models/stories260K/tok512.bin"))->vocab_size(),
            512);  // read to the end

  const auto gpt2 = LoadTokenizer(test::Shared("models/gpt2-tokenizer/vocab.json"), 50257);
  EXPECT_NE(dynamic_cast<const Gpt2BpeTokenizer*>(gpt2.get()), nullptr);
  EXPECT_EQ(gpt2->Encode("Hello world", false), kGpt2Hello);
  // A directory holding vocab.json + merges.txt.
  EXPECT_EQ(LoadTokenizer(test::Shared("models/gpt2-tokenizer"))->Encode("Hello world", true),
            kGpt2Hello);
}

TEST(Load, ChoosesByContentWithoutAKnownName) {
  test::TempDir dir;
  const std::string spm =
      dir.Write("tok", io::ReadTextFile(test::Shared("models/stories260K/tok512.model")));
  EXPECT_EQ(LoadTokenizer(spm)->Encode("Hello world", false), kSpmHello);
  const std::string bin =
      dir.Write("vocab", io::ReadTextFile(test::Shared("models/stories260K/tok512.bin")));
  EXPECT_EQ(LoadTokenizer(bin, 512)->Encode("Hello world", false), kSpmHello);
}

// A Hugging Face tokenizer.json assembled from GPT-2's vocab.json and merges.txt, in both merge
// spellings, encodes the reference cases exactly as the pair of files does.
TEST(Load, HfTokenizerJson) {
  const json vocab =
      json::parse(io::ReadTextFile(test::Shared("models/gpt2-tokenizer/vocab.json")));
  const std::string merges_txt = io::ReadTextFile(test::Shared("models/gpt2-tokenizer/merges.txt"));
  json as_strings = json::array(), as_pairs = json::array();
  for (size_t pos = 0; pos < merges_txt.size();) {
    size_t end = merges_txt.find('\n', pos);
    if (end == std::string::npos) end = merges_txt.size();
    const std::string line = merges_txt.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) continue;
    as_strings.push_back(line);
    as_pairs.push_back(
        json::array({line.substr(0, line.find(' ')), line.substr(line.find(' ') + 1)}));
  }
  const auto reference =
      json::parse(io::ReadTextFile(test::Shared("reference/gpt2-tokenizer/tokens.json")));
  test::TempDir dir;
  for (const json* merges : {&as_strings, &as_pairs}) {
    json doc = {{"version", "1.0"},
                {"added_tokens",
                 json::array({{{"id", 50256}, {"content", "<|endoftext|>"}, {"special", true}}})},
                {"normalizer", nullptr},
                {"pre_tokenizer",
                 {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}},
                {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", *merges}}}};
    const std::string path = dir.Write("tokenizer.json", doc.dump());
    const auto tok = LoadTokenizer(path, 50257);
    EXPECT_EQ(tok->eos_id(), 50256);
    for (const auto& c : reference.at("cases"))
      EXPECT_EQ(tok->Encode(c.at("text").get<std::string>(), false),
                c.at("ids").get<std::vector<int>>());
  }
}

TEST(Load, FromVocab) {
  const auto spm = TokenizerFromVocab(
      SentencePieceTokenizer(test::Shared("models/stories260K/tok512.model")).ToVocab());
  EXPECT_EQ(spm->Encode("Hello world", true), (std::vector<int>{1, 346, 306, 414, 263, 304, 341}));
  const auto gpt2 = TokenizerFromVocab(
      LoadTokenizer(test::Shared("models/gpt2-tokenizer/vocab.json"))->ToVocab());
  EXPECT_EQ(gpt2->Encode("Hello world", false), kGpt2Hello);
}

TEST(Load, FindTokenizerBeside) {
  const std::string dir = test::Shared("models/stories260K");
  // The directory has tok512.model and tok512.bin; the .model comes first.
  EXPECT_EQ(FindTokenizerBeside(dir + "/stories260K.bin", 512), dir + "/tok512.model");
  EXPECT_EQ(FindTokenizerBeside(dir, 512), dir + "/tok512.model");
  EXPECT_EQ(FindTokenizerBeside(dir + "/stories260K.bin", 32000), "");

  test::TempDir tmp;
  tmp.Write("model.bin", "x");
  EXPECT_EQ(FindTokenizerBeside(tmp.Path("model.bin"), 512), "");
  tmp.Write("tok512.bin", "x");
  EXPECT_EQ(FindTokenizerBeside(tmp.Path("model.bin"), 512), tmp.Path("tok512.bin"));
  tmp.Write("tokenizer.bin", "x");
  EXPECT_EQ(FindTokenizerBeside(tmp.Path("model.bin"), 512), tmp.Path("tokenizer.bin"));
  tmp.Write("tokenizer.json", "x");
  EXPECT_EQ(FindTokenizerBeside(tmp.Path("model.bin"), 512), tmp.Path("tokenizer.json"));
  tmp.Write("tokenizer.model", "x");
  EXPECT_EQ(FindTokenizerBeside(tmp.dir(), 512), tmp.Path("tokenizer.model"));
}

}  // namespace
}  // namespace qforge::tokenizer
