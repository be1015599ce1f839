// GGUF reading: llama.cpp-written reference files, metadata typing, embedded vocabulary.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <vector>

#include "qforge/core/error.h"
#include "qforge/io/gguf_checkpoint.h"
#include "qforge/io/gguf_file.h"
#include "qforge/io/mapped_file.h"
#include "support/paths.h"

namespace qforge::io {
namespace {

const std::string kStoriesGguf =
    test::Shared("reference/stories260K/llamacpp/stories260K-f32.gguf");
const std::string kTestbedGguf = test::Shared("reference/testbed/llamacpp/F32.gguf");

// The [vocab, dim] f32 embedding that follows llama2.c's 7 x int32 header.
std::vector<std::byte> Llama2cEmbedding(const std::string& path, int64_t vocab, int64_t dim) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::byte> bytes(size_t(vocab * dim * 4));
  in.seekg(28);
  in.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(bytes.size()));
  EXPECT_TRUE(in.good()) << path;
  return bytes;
}

bool SameBytes(const TensorView& t, const std::vector<std::byte>& expected) {
  return t.nbytes == expected.size() && std::memcmp(t.data, expected.data(), expected.size()) == 0;
}

// --no-mmap: the same tensors, byte for byte, from a copy in anonymous (huge-page) memory; a
// file that cannot be opened still fails with the path.
TEST(GgufReader, CopiedWeightsEqualMappedOnes) {
  const Checkpoint mapped = LoadGgufCheckpoint(kTestbedGguf);
  SetWeightLoading(WeightLoading::kCopy);
  const Checkpoint copied = LoadGgufCheckpoint(kTestbedGguf);
  EXPECT_THROW(LoadGgufCheckpoint("no/such/model.gguf"), Error);
  SetWeightLoading(WeightLoading::kMap);
  ASSERT_EQ(copied.tensors.size(), mapped.tensors.size());
  for (const TensorView& t : mapped.tensors) {
    const TensorView& c = copied.Get(t.name);
    EXPECT_NE(c.data, t.data) << t.name;
    ASSERT_EQ(c.nbytes, t.nbytes) << t.name;
    EXPECT_EQ(std::memcmp(c.data, t.data, t.nbytes), 0) << t.name;
  }
  EXPECT_TRUE(MappedFile::OpenWeights(kTestbedGguf)->copied() == false);
}

TEST(GgufReader, Stories260KConfigAndVocab) {
  const Checkpoint ckpt = LoadGgufCheckpoint(kStoriesGguf);
  EXPECT_EQ(ckpt.format, "gguf");
  const ModelConfig& c = ckpt.config;
  EXPECT_EQ(c.dim, 64);
  EXPECT_EQ(c.hidden_dim, 172);
  EXPECT_EQ(c.n_layers, 5);
  EXPECT_EQ(c.n_heads, 8);
  EXPECT_EQ(c.n_kv_heads, 4);
  EXPECT_EQ(c.vocab_size, 512);
  EXPECT_EQ(c.max_seq_len, 128);
  EXPECT_FLOAT_EQ(c.norm_eps, 1e-5f);
  EXPECT_EQ(c.rope_theta, 10000.0f);
  EXPECT_EQ(c.rope_style, RopeStyle::kAdjacentPairs);
  EXPECT_FALSE(c.tied_embeddings);  // the file has output.weight
  EXPECT_EQ(ckpt.tensors.size(), 48u);

  ASSERT_TRUE(ckpt.vocab.has_value());
  const Vocab& v = *ckpt.vocab;
  EXPECT_EQ(v.kind, VocabKind::kSentencePiece);
  EXPECT_EQ(v.tokens.size(), 512u);
  EXPECT_EQ(v.scores.size(), 512u);
  EXPECT_EQ(v.types.size(), 512u);
  EXPECT_EQ(v.tokens[1], "<s>");
  EXPECT_EQ(v.types[0], TokenType::kUnknown);
  EXPECT_EQ(v.types[1], TokenType::kControl);
  EXPECT_EQ(v.bos_id, 1);
  EXPECT_EQ(v.eos_id, 2);
  EXPECT_EQ(v.unk_id, 0);
  EXPECT_EQ(v.pad_id, -1);  // stored as u32 max: none

  EXPECT_EQ(ckpt.metadata.at("tokenizer.ggml.tokens"), "[512 x string]");
  EXPECT_EQ(ckpt.metadata.at("llama.block_count"), "5");
  EXPECT_EQ(ckpt.metadata.at("general.architecture"), "llama");
}

TEST(GgufReader, Stories260KEmbeddingMatchesLlama2c) {
  const Checkpoint ckpt = LoadGgufCheckpoint(kStoriesGguf);
  const TensorView& emb = ckpt.Get(kTokenEmbeddingName);
  EXPECT_EQ(emb.shape, (std::vector<int64_t>{512, 64}));
  EXPECT_EQ(emb.type, QType::kF32);
  EXPECT_TRUE(SameBytes(
      emb, Llama2cEmbedding(test::Shared("models/stories260K/stories260K.bin"), 512, 64)));
  EXPECT_EQ(ckpt.Get("blk.0.attn_k.weight").shape, (std::vector<int64_t>{32, 64}));
  EXPECT_EQ(ckpt.Get("blk.4.ffn_down.weight").shape, (std::vector<int64_t>{64, 172}));
  EXPECT_EQ(ckpt.Get("output_norm.weight").shape, (std::vector<int64_t>{64}));
}

TEST(GgufReader, TestbedConfigAndEmbedding) {
  const Checkpoint ckpt = LoadGgufCheckpoint(kTestbedGguf);
  EXPECT_EQ(ckpt.config.dim, 256);
  EXPECT_EQ(ckpt.config.hidden_dim, 768);
  EXPECT_EQ(ckpt.config.n_layers, 4);
  EXPECT_EQ(ckpt.config.vocab_size, 512);
  EXPECT_TRUE(SameBytes(ckpt.Get(kTokenEmbeddingName),
                        Llama2cEmbedding(test::Shared("models/testbed/testbed.bin"), 512, 256)));
}

TEST(GgufReader, TensorOffsetsAreAlignedAndInsideTheFile) {
  auto map = MappedFile::Open(kStoriesGguf);
  const GgufFile f = GgufFile::Parse(map->bytes(), kStoriesGguf);
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.alignment(), 32u);
  EXPECT_EQ(f.data_offset() % 32, 0u);
  for (const GgufTensorInfo& t : f.tensors()) {
    EXPECT_EQ((t.offset - f.data_offset()) % 32, 0u) << t.name;
    EXPECT_LE(t.offset + t.nbytes, map->size()) << t.name;
  }
}

TEST(GgufReader, TypedGettersWidenAndNameFileAndKey) {
  auto map = MappedFile::Open(kStoriesGguf);
  const GgufFile f = GgufFile::Parse(map->bytes(), kStoriesGguf);
  EXPECT_EQ(f.GetU32("llama.block_count"), 5u);
  EXPECT_EQ(f.GetU64("llama.block_count"), 5u);  // u32 -> u64 widens
  EXPECT_EQ(f.GetI64("tokenizer.ggml.padding_token_id"), 4294967295);
  EXPECT_EQ(f.GetF64("llama.attention.layer_norm_rms_epsilon"),
            double(1e-5f));  // f32 -> f64 widens
  EXPECT_EQ(f.GetStringArray("tokenizer.ggml.tokens").size(), 512u);
  try {
    f.GetU32("general.architecture");
    FAIL() << "string read as u32";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_NE(std::string(e.what()).find(kStoriesGguf), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("general.architecture"), std::string::npos) << e.what();
  }
  EXPECT_THROW(f.GetI32("tokenizer.ggml.padding_token_id"), Error);  // 2^32-1 does not fit in i32
  EXPECT_THROW(f.GetF32("llama.block_count"), Error);
  EXPECT_THROW(f.GetString("no.such.key"), Error);
}

TEST(GgufValue, IntegerConversionIsLossless) {
  EXPECT_EQ(GgufValue(uint8_t{200}).ToU32("x"), 200u);
  EXPECT_EQ(GgufValue(int16_t{-5}).ToI64("x"), -5);
  EXPECT_THROW(GgufValue(int32_t{-1}).ToU32("x"), Error);
  EXPECT_THROW(GgufValue(uint64_t{1} << 40).ToU32("x"), Error);
  EXPECT_THROW(GgufValue(true).ToU32("x"), Error);
  EXPECT_EQ(GgufValue(3.5f).Printable(), "3.5");
  EXPECT_EQ(GgufValue(int8_t{-3}).Printable(), "-3");
}

}  // namespace
}  // namespace qforge::io
