// qforge synth end to end: the test-bed shape with the real Llama 2 vocabulary (pieces and scores
// equal llama2.c's tokenizer.bin export, text tokenizes to the ids tokenizer.model gives), the
// same bytes at 1 and 2 threads, and clear errors for bad flags.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "qforge/io/load_checkpoint.h"
#include "qforge/tokenizer/load.h"
#include "support/paths.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace qforge {
namespace {
using test::Qforge;
using ::testing::HasSubstr;

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

// llama2.c's tokenizer.bin: int32 max_token_length, then per token float score, int32 length,
// the bytes. Parsed here independently of qforge's reader.
struct BinVocab {
  std::vector<std::string> tokens;
  std::vector<float> scores;
};
BinVocab ReadTokenizerBin(const std::string& path, int n) {
  const std::string b = ReadAll(path);
  BinVocab v;
  size_t at = 4;
  for (int i = 0; i < n && at + 8 <= b.size(); ++i) {
    float score;
    int32_t len;
    std::memcpy(&score, b.data() + at, 4);
    std::memcpy(&len, b.data() + at + 4, 4);
    v.scores.push_back(score);
    v.tokens.push_back(b.substr(at + 8, size_t(len)));
    at += 8 + size_t(len);
  }
  return v;
}

class SynthCli : public test::TempDirTest {};

TEST_F(SynthCli, TestbedShapeWithTheLlama2Vocabulary) {
  const std::string tok = test::Shared("models/llama2-tokenizer/tokenizer.model");
  const auto r = Qforge("-q synth --shape testbed --recipe Q8_0 --seed 5 -t 2 --tokenizer " + tok +
                        " -o " + Path("a.gguf"));
  ASSERT_EQ(r.code, 0) << r.out;
  const Checkpoint ckpt = io::LoadCheckpoint(Path("a.gguf"));
  EXPECT_EQ(ckpt.config.dim, 256);
  EXPECT_EQ(ckpt.config.hidden_dim, 768);
  EXPECT_EQ(ckpt.config.n_layers, 4);
  EXPECT_EQ(ckpt.config.n_heads, 8);
  EXPECT_EQ(ckpt.config.n_kv_heads, 4);
  EXPECT_EQ(ckpt.config.max_seq_len, 256);
  EXPECT_EQ(ckpt.config.vocab_size, 32000);
  EXPECT_TRUE(ckpt.config.tied_embeddings);  // the test bed ties its classifier
  EXPECT_EQ(ckpt.tensors.size(), 2u + 9u * 4);
  EXPECT_EQ(ckpt.Get("token_embd.weight").shape, (std::vector<int64_t>{32000, 256}));
  EXPECT_EQ(ckpt.Get("blk.3.ffn_gate.weight").type, QType::kQ8_0);

  // Pieces and scores: llama2.c's export of the same tokenizer.model (the first 3 pieces are
  // <unk>, <s>, </s>, which llama2.c writes with spaces around; compare the rest).
  ASSERT_TRUE(ckpt.vocab.has_value());
  const BinVocab bin =
      ReadTokenizerBin(test::Shared("models/llama2-tokenizer/tokenizer.bin"), 32000);
  ASSERT_EQ(bin.tokens.size(), 32000u);
  int differing = 0;
  for (size_t i = 3; i < bin.tokens.size(); ++i) {
    std::string piece = ckpt.vocab->tokens[i];
    for (size_t at; (at = piece.find("\xe2\x96\x81")) != std::string::npos;)
      piece.replace(at, 3, " ");  // llama2.c writes SentencePiece's "▁" as a space
    differing += piece != bin.tokens[i] || ckpt.vocab->scores[i] != bin.scores[i];
  }
  EXPECT_EQ(differing, 0);
  const std::string text = "Once upon a time, the 3 quick foxes said: \"Héllo\" 日本";
  const auto embedded = tokenizer::TokenizerFromVocab(*ckpt.vocab);
  const auto reference = tokenizer::LoadTokenizer(tok);
  EXPECT_EQ(embedded->Encode(text, true), reference->Encode(text, true));

  ASSERT_EQ(Qforge("-q synth --shape testbed --recipe Q8_0 --seed 5 -t 1 -o " + Path("b.gguf") +
                   " --tokenizer " + tok)
                .code,
            0);
  EXPECT_EQ(ReadAll(Path("a.gguf")), ReadAll(Path("b.gguf")));
}

TEST_F(SynthCli, BadFlagsAreClearErrors) {
  auto r = Qforge("synth --shape llama-70b -o " + Path("x.gguf"));
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("unknown shape 'llama-70b'"));
  r = Qforge("synth --shape testbed --recipe nf4 -o " + Path("x.gguf"));
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("NF4"));
  r = Qforge("synth --shape testbed");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("--output"));
  std::ofstream(Path("exists.gguf")) << "x";
  r = Qforge("synth --shape testbed -o " + Path("exists.gguf"));
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("--force"));
  EXPECT_EQ(ReadAll(Path("exists.gguf")), "x");
  EXPECT_FALSE(std::filesystem::exists(Path("x.gguf")));
}

}  // namespace
}  // namespace qforge
