// Broken, truncated and lying tokenizer files give qforge::Error naming the file: never a crash,
// never an allocation driven by a corrupt length.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "qforge/core/error.h"
#include "qforge/io/mapped_file.h"
#include "qforge/tokenizer/gpt2_bpe_tokenizer.h"
#include "qforge/tokenizer/llama2c_vocab.h"
#include "qforge/tokenizer/load.h"
#include "qforge/tokenizer/sentencepiece_tokenizer.h"
#include "support/paths.h"
#include "temp_dir.h"

namespace qforge::tokenizer {
namespace {

using ::testing::HasSubstr;

const std::string kBin = test::Shared("models/stories260K/tok512.bin");
const std::string kVocabJson = test::Shared("models/gpt2-tokenizer/vocab.json");
const std::string kMerges = test::Shared("models/gpt2-tokenizer/merges.txt");

// Runs f, which must throw qforge::Error of `kind` whose message names `path`.
template <typename F>
void ExpectError(F&& f, ErrorKind kind, const std::string& path) {
  try {
    f();
    ADD_FAILURE() << "no error for " << path;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    EXPECT_THAT(e.what(), HasSubstr(path));
  }
}

std::string Int32(int32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); }
std::string Float(float v) { return std::string(reinterpret_cast<const char*>(&v), 4); }

TEST(BadInput, MissingFiles) {
  const std::string missing = "/nonexistent/qforge/tok.model";
  ExpectError([&] { LoadTokenizer(missing); }, ErrorKind::kIo, missing);
  ExpectError([&] { SentencePieceTokenizer tok(missing); }, ErrorKind::kIo, missing);
  ExpectError([&] { ReadLlama2cVocab("/nonexistent/tokenizer.bin", 512); }, ErrorKind::kIo,
              "/nonexistent/tokenizer.bin");
  ExpectError([&] { Gpt2BpeTokenizer::FromVocabAndMerges("/nonexistent/vocab.json", kMerges); },
              ErrorKind::kIo, "/nonexistent/vocab.json");
  ExpectError([&] { Gpt2BpeTokenizer::FromVocabAndMerges(kVocabJson, "/nonexistent/merges.txt"); },
              ErrorKind::kIo, "/nonexistent/merges.txt");
  test::TempDir dir;
  const std::string vocab_alone = dir.Write("vocab.json", io::ReadTextFile(kVocabJson));
  ExpectError([&] { LoadTokenizer(vocab_alone); }, ErrorKind::kIo, dir.Path("merges.txt"));
  ExpectError([&] { LoadTokenizer(dir.Path("sub")); }, ErrorKind::kIo, dir.Path("sub"));
  std::filesystem::create_directory(dir.Path("empty"));
  ExpectError([&] { LoadTokenizer(dir.Path("empty")); }, ErrorKind::kInvalidInput,
              dir.Path("empty"));
}

TEST(BadInput, TruncatedLlama2cVocab) {
  const std::string full = io::ReadTextFile(kBin);
  test::TempDir dir;
  std::vector<size_t> lengths;
  for (size_t n = 0; n <= 200; ++n) lengths.push_back(n);
  for (size_t n = 201; n < full.size(); n += 97) lengths.push_back(n);
  lengths.push_back(full.size() - 1);
  for (const size_t n : lengths) {
    const std::string path = dir.Write("tok512.bin", full.substr(0, n));
    SCOPED_TRACE(n);
    ExpectError([&] { ReadLlama2cVocab(path, 512); }, ErrorKind::kInvalidInput, path);
    // Without a token count, a cut at a token boundary is a valid shorter vocabulary; anything else
    // must still be a clean error.
    try {
      ReadLlama2cVocab(path, 0);
    } catch (const Error& e) {
      EXPECT_THAT(e.what(), HasSubstr(path));
    }
  }
}

TEST(BadInput, LyingLengthsInLlama2cVocab) {
  test::TempDir dir;
  // A length within max_token_length but beyond the end of the file.
  const std::string beyond = dir.Write("beyond.bin", Int32(100) + Float(0) + Int32(50) + "abc");
  ExpectError([&] { ReadLlama2cVocab(beyond, 0); }, ErrorKind::kInvalidInput, beyond);
  // A length larger than the file (and than max_token_length).
  std::string bytes = io::ReadTextFile(kBin);
  const size_t second_length = 4 + 4 + 4 + 5 + 4;  // header, token 0 (score, len, "<unk>"), score 1
  std::memcpy(bytes.data() + second_length, "\xFF\xFF\xFF\x7F", 4);
  const std::string huge = dir.Write("huge.bin", bytes);
  ExpectError([&] { ReadLlama2cVocab(huge, 512); }, ErrorKind::kInvalidInput, huge);
  std::memcpy(bytes.data() + second_length, "\xFF\xFF\xFF\xFF", 4);  // -1
  const std::string negative = dir.Write("negative.bin", bytes);
  ExpectError([&] { ReadLlama2cVocab(negative, 512); }, ErrorKind::kInvalidInput, negative);
  // A vocabulary size far beyond what the file holds is refused before anything is reserved.
  ExpectError([&] { ReadLlama2cVocab(kBin, 1 << 30); }, ErrorKind::kInvalidInput, kBin);
  ExpectError([&] { ReadLlama2cVocab(kBin, 511); }, ErrorKind::kInvalidInput,
              kBin);  // bytes left over
  const std::string bad_header = dir.Write("header.bin", Int32(-5) + Float(0) + Int32(1) + "a");
  ExpectError([&] { ReadLlama2cVocab(bad_header, 0); }, ErrorKind::kInvalidInput, bad_header);
}

TEST(BadInput, MalformedVocabJson) {
  test::TempDir dir;
  for (const std::string body :
       {"{not json", R"({"a": "x"})", R"({"a": 0, "b": 5})", "[1, 2]", "{}", R"({"a": -1})"}) {
    const std::string path = dir.Write("vocab.json", body);
    SCOPED_TRACE(body);
    ExpectError([&] { Gpt2BpeTokenizer::FromVocabAndMerges(path, kMerges); },
                ErrorKind::kInvalidInput, path);
  }
}

TEST(BadInput, MalformedMergesAndTokenizerJson) {
  test::TempDir dir;
  const std::string merges = dir.Write("merges.txt", "#version: 0.2\nĠ t\nnospace\n");
  ExpectError([&] { Gpt2BpeTokenizer::FromVocabAndMerges(kVocabJson, merges); },
              ErrorKind::kInvalidInput, merges + ":3");
  const std::string unknown = dir.Write("unknown.txt", "Ġ qqqqqqqqq\n");
  ExpectError([&] { Gpt2BpeTokenizer::FromVocabAndMerges(kVocabJson, unknown); },
              ErrorKind::kInvalidInput, kVocabJson);
  const std::string unigram =
      dir.Write("tokenizer.json", R"({"model": {"type": "Unigram", "vocab": []}})");
  ExpectError([&] { LoadTokenizer(unigram); }, ErrorKind::kUnsupported, unigram);
  const std::string no_model = dir.Write("other.json", R"({"version": "1.0"})");
  ExpectError([&] { LoadTokenizer(no_model); }, ErrorKind::kInvalidInput, no_model);
}

TEST(BadInput, NotASentencePieceModel) {
  test::TempDir dir;
  const std::string garbage =
      dir.Write("garbage.model", std::string("\x0A\xFF\xFF\xFF\xFF garbage", 14));
  ExpectError([&] { LoadTokenizer(garbage); }, ErrorKind::kInvalidInput, garbage);
  const std::string empty = dir.Write("empty.model", "");
  ExpectError([&] { LoadTokenizer(empty); }, ErrorKind::kInvalidInput, empty);
}

TEST(BadInput, VocabSizeMismatch) {
  const std::string model = test::Shared("models/stories260K/tok512.model");
  try {
    LoadTokenizer(model, 32000);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_THAT(e.what(), HasSubstr(model));
    EXPECT_THAT(e.what(), HasSubstr("512"));
    EXPECT_THAT(e.what(), HasSubstr("32000"));
  }
  ExpectError([&] { LoadTokenizer(kBin, 1000); }, ErrorKind::kInvalidInput, kBin);
}

// Randomly damaged tokenizer.bin files: each either reads or fails with an Error naming the file.
// (fuzz/tokenizer_fuzz.cc explores this further; this keeps a deterministic sample in every run.)
TEST(BadInput, RandomlyCorruptedLlama2cVocab) {
  const std::string full = io::ReadTextFile(kBin);
  test::TempDir dir;
  std::mt19937 rng(7);
  for (int trial = 0; trial < 300; ++trial) {
    std::string bytes = full;
    for (int k = 1 + int(rng() % 4); k > 0; --k) bytes[rng() % bytes.size()] = char(rng());
    const std::string path = dir.Write("tok.bin", bytes);
    try {
      const Vocab vocab = ReadLlama2cVocab(path, trial % 2 == 0 ? 512 : 0);
      EXPECT_EQ(vocab.tokens.size(), vocab.scores.size());
    } catch (const Error& e) {
      EXPECT_THAT(e.what(), HasSubstr(path));
    }
  }
}

// Arbitrary bytes (invalid UTF-8 included) always encode to ids inside the vocabulary.
TEST(BadInput, ArbitraryBytesEncode) {
  const auto spm = LoadTokenizer(kBin, 512);
  std::mt19937 rng(11);
  for (int trial = 0; trial < 300; ++trial) {
    std::string bytes(rng() % 64, '\0');
    for (char& c : bytes) c = char(rng());
    for (const int id : spm->Encode(bytes, true)) {
      EXPECT_GE(id, 0);
      EXPECT_LT(id, 512);
    }
  }
}

}  // namespace
}  // namespace qforge::tokenizer
