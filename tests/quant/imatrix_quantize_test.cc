// QuantizeCheckpoint with an importance matrix: tensors with an entry get exactly the bytes of
// QuantizeRowWeighted (bit-exact with ggml: tests/calib/imatrix_llamacpp_test.cc) at any thread
// count, the others round to nearest, llama-quantize's size rule and provenance keys hold.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "qforge/core/error.h"
#include "qforge/core/qblocks_weighted.h"
#include "qforge/io/load_checkpoint.h"
#include "qforge/quant/quantize_model.h"
#include "support/paths.h"

namespace qforge::quant {
namespace {
using ::testing::HasSubstr;

Checkpoint TestBed() {
  return io::LoadCheckpoint(test::Shared("reference/testbed/llamacpp/F32.gguf"));
}

// An importance for every 2-D weight except the embedding (as llama-imatrix: it records the inputs
// of matrix products, and the embedding is a lookup): the spread formula of tests/data/imatrix.
ImportanceMatrix SyntheticImatrix(const Checkpoint& ckpt) {
  ImportanceMatrix m;
  m.file = "synthetic.imatrix";
  m.datasets = {"calib.txt"};
  m.chunks_count = 5;
  for (const TensorView& t : ckpt.tensors) {
    if (t.shape.size() != 2 || t.name == "token_embd.weight") continue;
    std::vector<float> means(static_cast<size_t>(t.Cols()));
    for (size_t j = 0; j < means.size(); ++j) {
      const uint32_t h = (uint32_t(j) * 2654435761u) >> 24;
      means[j] = h < 8 ? 0.0f : float(h + 1) / 64.0f;
    }
    m.entries[t.name] = ImportanceEntry::FromMeans(std::move(means));
  }
  return m;
}

TEST(ImatrixQuantize, EntriesUseTheWeightedSearchAtAnyThreadCount) {
  const Checkpoint src = TestBed();
  const ImportanceMatrix imatrix = SyntheticImatrix(src);
  QuantizeOptions options;
  options.measure_error = false;
  options.importance = &imatrix;
  ThreadPool one(1), two(2);
  const Recipe recipe = LoadRecipe("Q4_K_M");  // Q4_K, Q6_K and more: a llama.cpp mixture
  const QuantizedModel a = QuantizeCheckpoint(src, recipe, one, options);
  const QuantizedModel b = QuantizeCheckpoint(src, recipe, two, options);
  int weighted = 0;
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    const TensorView& qa = a.checkpoint.tensors[i];
    const TensorView& qb = b.checkpoint.tensors[i];
    ASSERT_EQ(qa.nbytes, qb.nbytes);
    EXPECT_EQ(std::memcmp(qa.data, qb.data, qa.nbytes), 0) << qa.name;
    const bool expect_weighted =
        imatrix.Find(qa.name) && HasWeightedQuantizer(qa.type) && a.tensors[i].choice.quantized;
    EXPECT_EQ(a.tensors[i].weighted, expect_weighted) << qa.name;
    if (!expect_weighted) continue;
    ++weighted;
    const TensorView& s = src.tensors[i];
    const std::vector<float> imp = imatrix.Find(qa.name)->Importance();
    std::vector<std::byte> row(qa.RowStride());
    for (int64_t r = 0; r < s.Rows(); ++r) {
      QuantizeRowWeighted(qa.type, reinterpret_cast<const float*>(s.Row(r)), row.data(), s.Cols(),
                          imp.data());
      ASSERT_EQ(std::memcmp(row.data(), qa.Row(r), row.size()), 0) << qa.name << " row " << r;
    }
  }
  EXPECT_EQ(weighted, int(imatrix.entries.size()));  // 4 layers x 7 matrices + output.weight
  const auto& meta = a.checkpoint.metadata;
  EXPECT_EQ(meta.at("quantize.imatrix.file"), "synthetic.imatrix");
  EXPECT_EQ(meta.at("quantize.imatrix.dataset"), "calib.txt");
  EXPECT_EQ(meta.at("quantize.imatrix.entries_count"), std::to_string(imatrix.entries.size()));
  EXPECT_EQ(meta.at("quantize.imatrix.chunks_count"), "5");
}

TEST(ImatrixQuantize, WrongLengthIsAnErrorExceptForTheEmbedding) {
  const Checkpoint src = TestBed();
  ThreadPool pool(2);
  QuantizeOptions options;
  options.measure_error = false;
  ImportanceMatrix embd;
  embd.entries["token_embd.weight"] = ImportanceEntry::FromMeans({1.0f, 2.0f});
  options.importance = &embd;
  const QuantizedModel q = QuantizeCheckpoint(src, LoadRecipe("Q4_0"), pool, options);
  for (const TensorResult& t : q.tensors) EXPECT_FALSE(t.weighted);

  ImportanceMatrix wrong;
  wrong.file = "wrong.imatrix";
  wrong.entries["blk.0.attn_q.weight"] = ImportanceEntry::FromMeans({1.0f, 2.0f});
  options.importance = &wrong;
  try {
    QuantizeCheckpoint(src, LoadRecipe("Q4_0"), pool, options);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_THAT(e.what(), HasSubstr("'blk.0.attn_q.weight' has 2 values"));
  }
}

}  // namespace
}  // namespace qforge::quant
