// GGUF writing: round trips through the reader, F16/BF16 conversion, the rotate-half q/k
// permutation.
#include "qforge/io/gguf_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "qforge/core/error.h"
#include "qforge/core/half.h"
#include "qforge/io/gguf_checkpoint.h"
#include "qforge/io/mapped_file.h"
#include "support/paths.h"
#include "support/temp_dir.h"

namespace qforge::io {
namespace {

const std::string kStoriesGguf =
    test::Shared("reference/stories260K/llamacpp/stories260K-f32.gguf");

// A fresh directory per test, removed at the end.
class GgufWriterTest : public test::TempDirTest {
 protected:
};

GgufWriteOptions Options(QType type, std::vector<std::pair<std::string, std::string>> extra = {}) {
  GgufWriteOptions opts;
  opts.matrix_type = type;
  opts.extra_kvs = std::move(extra);
  return opts;
}

void ExpectSameVocab(const Vocab& a, const Vocab& b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.tokens, b.tokens);
  EXPECT_EQ(a.scores, b.scores);
  EXPECT_EQ(a.types, b.types);
  EXPECT_EQ(a.merges, b.merges);
  EXPECT_EQ(a.bos_id, b.bos_id);
  EXPECT_EQ(a.eos_id, b.eos_id);
  EXPECT_EQ(a.unk_id, b.unk_id);
  EXPECT_EQ(a.pad_id, b.pad_id);
  EXPECT_EQ(a.add_bos, b.add_bos);
  EXPECT_EQ(a.add_space_prefix, b.add_space_prefix);
}

void ExpectSameConfig(const ModelConfig& a, const ModelConfig& b) {
  EXPECT_EQ(a.dim, b.dim);
  EXPECT_EQ(a.hidden_dim, b.hidden_dim);
  EXPECT_EQ(a.n_layers, b.n_layers);
  EXPECT_EQ(a.n_heads, b.n_heads);
  EXPECT_EQ(a.n_kv_heads, b.n_kv_heads);
  EXPECT_EQ(a.vocab_size, b.vocab_size);
  EXPECT_EQ(a.max_seq_len, b.max_seq_len);
  EXPECT_EQ(a.norm_eps, b.norm_eps);
  EXPECT_EQ(a.rope_theta, b.rope_theta);
  EXPECT_EQ(a.tied_embeddings, b.tied_embeddings);
}

TEST_F(GgufWriterTest, F32RoundTripIsIdentical) {
  const Checkpoint in = LoadGgufCheckpoint(kStoriesGguf);
  const std::string out_path = Path("stories-f32.gguf");
  WriteGgufCheckpoint(in, *in.vocab, out_path, Options(QType::kF32, {{"qforge.version", "test"}}));
  const Checkpoint out = LoadGgufCheckpoint(out_path);
  ExpectSameConfig(in.config, out.config);
  ExpectSameVocab(*in.vocab, *out.vocab);
  EXPECT_EQ(out.metadata.at("qforge.version"), "test");
  EXPECT_EQ(out.metadata.at("general.file_type"), "0");
  ASSERT_EQ(in.tensors.size(), out.tensors.size());
  for (size_t i = 0; i < in.tensors.size(); ++i) {
    const TensorView &a = in.tensors[i], &b = out.tensors[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.shape, b.shape) << a.name;
    EXPECT_EQ(b.type, QType::kF32);
    ASSERT_EQ(a.nbytes, b.nbytes) << a.name;
    EXPECT_EQ(std::memcmp(a.data, b.data, a.nbytes), 0) << a.name;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(b.data) % 32, 0u) << a.name;
  }
}

// Every 2-D weight element equals the scalar conversion; 1-D tensors stay F32, bit for bit.
void CheckConverted(const Checkpoint& in, const Checkpoint& out, QType type,
                    uint16_t (*convert)(float)) {
  ASSERT_EQ(in.tensors.size(), out.tensors.size());
  for (size_t i = 0; i < in.tensors.size(); ++i) {
    const TensorView &a = in.tensors[i], &b = out.tensors[i];
    const float* src = reinterpret_cast<const float*>(a.data);
    if (a.shape.size() == 1) {
      EXPECT_EQ(b.type, QType::kF32) << a.name;
      EXPECT_EQ(std::memcmp(a.data, b.data, a.nbytes), 0) << a.name;
      continue;
    }
    ASSERT_EQ(b.type, type) << a.name;
    ASSERT_EQ(b.nbytes, a.nbytes / 2) << a.name;
    const uint16_t* dst = reinterpret_cast<const uint16_t*>(b.data);
    int64_t mismatches = 0;
    for (int64_t j = 0; j < a.NumElements(); ++j) mismatches += dst[j] != convert(src[j]);
    EXPECT_EQ(mismatches, 0) << a.name;
  }
}

TEST_F(GgufWriterTest, F16AndBF16EqualScalarConversions) {
  const Checkpoint in = LoadGgufCheckpoint(kStoriesGguf);
  WriteGgufCheckpoint(in, *in.vocab, Path("f16.gguf"), Options(QType::kF16));
  WriteGgufCheckpoint(in, *in.vocab, Path("bf16.gguf"), Options(QType::kBF16));
  const Checkpoint f16 = LoadGgufCheckpoint(Path("f16.gguf"));
  const Checkpoint bf16 = LoadGgufCheckpoint(Path("bf16.gguf"));
  CheckConverted(in, f16, QType::kF16, F32ToF16);
  CheckConverted(in, bf16, QType::kBF16, F32ToBF16);
  EXPECT_EQ(f16.metadata.at("general.file_type"), "1");
  EXPECT_EQ(bf16.metadata.at("general.file_type"), "32");
  ExpectSameConfig(in.config, f16.config);
}

TEST_F(GgufWriterTest, RotateHalfQKRowsArePermutedToAdjacentPairs) {
  // dim 8, 2 heads of 4, 1 kv head: element (r, c) = 100 r + c identifies the source row.
  Checkpoint ckpt;
  ModelConfig& c = ckpt.config;
  c.dim = c.hidden_dim = 8;
  c.n_layers = 1;
  c.n_heads = 2;
  c.n_kv_heads = 1;
  c.vocab_size = 4;
  c.max_seq_len = 16;
  c.rope_style = RopeStyle::kRotateHalf;
  std::vector<std::vector<float>> data;
  auto add = [&](const std::string& name, int64_t rows) {
    auto& d = data.emplace_back();
    for (int64_t r = 0; r < rows; ++r)
      for (int c = 0; c < 8; ++c) d.push_back(float(100 * r + c));
    ckpt.tensors.push_back(
        {name, QType::kF32, {rows, 8}, reinterpret_cast<const std::byte*>(d.data()), d.size() * 4});
  };
  data.reserve(4);
  add("token_embd.weight", 4);
  add("blk.0.attn_q.weight", 8);
  add("blk.0.attn_k.weight", 4);
  add("blk.0.attn_v.weight", 4);
  Vocab vocab;
  vocab.tokens = {"<unk>", "<s>", "</s>", "a"};
  WriteGgufCheckpoint(ckpt, vocab, Path("perm.gguf"), Options(QType::kF32));

  const Checkpoint out = LoadGgufCheckpoint(Path("perm.gguf"));
  auto source_rows = [&](std::string_view name) {
    const TensorView& t = out.Get(name);
    std::vector<int> rows;
    for (int64_t r = 0; r < t.Rows(); ++r)
      rows.push_back(int(reinterpret_cast<const float*>(t.Row(r))[0] / 100));
    return rows;
  };
  // gguf[h*4 + 2i + half] = hf[h*4 + half*2 + i]
  EXPECT_EQ(source_rows("blk.0.attn_q.weight"), (std::vector<int>{0, 2, 1, 3, 4, 6, 5, 7}));
  EXPECT_EQ(source_rows("blk.0.attn_k.weight"), (std::vector<int>{0, 2, 1, 3}));
  EXPECT_EQ(source_rows("blk.0.attn_v.weight"), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(source_rows("token_embd.weight"), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_TRUE(out.config.tied_embeddings);
  EXPECT_EQ(out.config.vocab_size, 4);
  EXPECT_EQ(out.config.rope_style, RopeStyle::kAdjacentPairs);
}

TEST(GgufRope, UnpermuteMatchesLlamaCppFormula) {
  // llama.cpp's permute(): w.reshape(n_head, 2, hd/2, ...).swapaxes(1, 2): GGUF row h*hd + 2i +
  // half takes HF row h*hd + half*hd/2 + i.
  const int64_t hd = 8;
  for (int64_t h = 0; h < 3; ++h)
    for (int64_t i = 0; i < hd / 2; ++i)
      for (int64_t half = 0; half < 2; ++half)
        EXPECT_EQ(UnpermuteRopeRow(h * hd + 2 * i + half, hd), h * hd + half * hd / 2 + i);
}

TEST_F(GgufWriterTest, RefusesToOverwriteTheInput) {
  const std::string copy = Path("in.gguf");
  std::filesystem::copy_file(kStoriesGguf, copy);
  const Checkpoint in = LoadGgufCheckpoint(copy);
  EXPECT_THROW(WriteGgufCheckpoint(in, *in.vocab, copy, {}), Error);
  EXPECT_EQ(std::filesystem::file_size(copy), std::filesystem::file_size(kStoriesGguf));
}

TEST_F(GgufWriterTest, BadOptionsNameTheOutput) {
  const Checkpoint in = LoadGgufCheckpoint(kStoriesGguf);
  const std::string out = Path("dup.gguf");
  try {
    WriteGgufCheckpoint(in, *in.vocab, out, Options(QType::kF32, {{"general.name", "again"}}));
    FAIL() << "duplicate key accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(out), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST_F(GgufWriterTest, GeneralWriterAlignsAndChecksProducers) {
  GgufWriter w(64);
  const float values[3] = {1, 2, 3};
  w.Add("some.u8", uint8_t{7});
  w.AddTensor("a", QType::kF32, {3}, std::as_bytes(std::span(values)));
  w.AddTensor("b", QType::kF32, {1, 3}, std::as_bytes(std::span(values)));
  w.Write(Path("small.gguf"));
  auto map = MappedFile::Open(Path("small.gguf"));
  const GgufFile f = GgufFile::Parse(map->bytes(), Path("small.gguf"));
  EXPECT_EQ(f.alignment(), 64u);
  EXPECT_EQ(f.GetU32("some.u8"), 7u);
  ASSERT_EQ(f.tensors().size(), 2u);
  EXPECT_EQ(f.tensors()[1].offset - f.tensors()[0].offset, 64u);
  EXPECT_EQ(f.tensors()[1].shape, (std::vector<int64_t>{1, 3}));

  GgufWriter bad;
  bad.AddTensor("short", QType::kF32, {4}, std::as_bytes(std::span(values)));  // 12 of 16 bytes
  EXPECT_THROW(bad.Write(Path("bad.gguf")), Error);
  EXPECT_FALSE(std::filesystem::exists(Path("bad.gguf")));
  EXPECT_THROW(bad.Add("general.alignment", uint32_t{8}), Error);
  EXPECT_THROW(bad.AddTensor("short", QType::kF32, {4}, std::as_bytes(std::span(values))), Error);
  EXPECT_THROW(bad.AddTensor("zero", QType::kF32, {0, 4}, std::as_bytes(std::span(values))), Error);
  EXPECT_THROW(
      bad.AddTensor(std::string(64, 'x'), QType::kF32, {3}, std::as_bytes(std::span(values))),
      Error);
}

}  // namespace
}  // namespace qforge::io
