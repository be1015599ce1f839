// Quantizing a whole checkpoint: every quantized row equals the type's reference quantize_row,
// error statistics match a direct computation, thread count does not change a byte, NaN weights
// are refused, and the quantized checkpoint runs in the forward pass.
#include "qforge/quant/quantize_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "qforge/core/error.h"
#include "qforge/core/qblocks_native.h"
#include "qforge/io/load_checkpoint.h"
#include "qforge/model/llama_model.h"
#include "support/paths.h"

namespace qforge::quant {
namespace {

Checkpoint Testbed() { return io::LoadCheckpoint(test::Shared("models/testbed/testbed.bin")); }

TEST(QuantizeModel, RowsEqualReferenceQuantizer) {
  const Checkpoint src = Testbed();
  ThreadPool pool(2);
  const QuantizedModel q = QuantizeCheckpoint(src, LoadRecipe("Q8_0"), pool);
  for (size_t i = 0; i < src.tensors.size(); ++i) {
    const TensorView& s = src.tensors[i];
    const TensorView& t = q.checkpoint.tensors[i];
    if (s.shape.size() < 2) {
      EXPECT_EQ(t.data, s.data);  // 1-D tensors are shared, not copied
      continue;
    }
    ASSERT_EQ(t.type, QType::kQ8_0) << t.name;
    std::vector<std::byte> expected(t.RowStride());
    for (int64_t r : {int64_t(0), s.Rows() / 2, s.Rows() - 1}) {
      Traits(QType::kQ8_0)
          .quantize_row(reinterpret_cast<const float*>(s.Row(r)), expected.data(), s.Cols());
      EXPECT_EQ(std::memcmp(expected.data(), t.Row(r), expected.size()), 0) << t.name << " " << r;
    }
  }
}

// Per-tensor types (one FP8 scale for the whole tensor, NF4 double quantization) go through
// QuantizeTensor, not row by row.
TEST(QuantizeModel, PerTensorTypesUseTheWholeTensor) {
  const Checkpoint src = Testbed();
  ThreadPool pool(2);
  for (const char* type : {"FP8_E4M3_T", "NF4_DQ"}) {
    Recipe r{"t", "", type, {}, -1, ""};
    const QuantizedModel q = QuantizeCheckpoint(src, r, pool);
    const TensorView& s = src.Get("blk.2.ffn_up.weight");
    const TensorView& t = q.checkpoint.Get("blk.2.ffn_up.weight");
    ASSERT_TRUE(QuantizesPerTensor(t.type)) << type;
    std::vector<std::byte> expected(t.nbytes);
    QuantizeTensor(t.type, reinterpret_cast<const float*>(s.data), s.Rows(), s.Cols(),
                   expected.data());
    EXPECT_EQ(std::memcmp(expected.data(), t.data, t.nbytes), 0) << type;
  }
}

TEST(QuantizeModel, ErrorStatsMatchDirectComputation) {
  const Checkpoint src = Testbed();
  ThreadPool pool(1);
  const QuantizedModel q = QuantizeCheckpoint(src, LoadRecipe("Q4_0"), pool);
  const TensorView& s = src.Get("blk.1.attn_q.weight");
  const TensorView& t = q.checkpoint.Get("blk.1.attn_q.weight");
  double sse = 0, sig = 0, maxe = 0;
  std::vector<float> row(size_t(t.Cols()));
  for (int64_t r = 0; r < t.Rows(); ++r) {
    Traits(t.type).dequantize_row(t.Row(r), row.data(), t.Cols());
    const float* x = reinterpret_cast<const float*>(s.Row(r));
    for (int64_t c = 0; c < t.Cols(); ++c) {
      const double e = double(x[c]) - row[size_t(c)];
      sse += e * e;
      sig += double(x[c]) * x[c];
      maxe = std::max(maxe, std::abs(e));
    }
  }
  for (const TensorResult& r : q.tensors) {
    if (r.choice.name != "blk.1.attn_q.weight") continue;
    EXPECT_EQ(r.error.count, t.NumElements());
    EXPECT_NEAR(r.error.Mse(), sse / double(t.NumElements()), 1e-12 * sse);
    EXPECT_EQ(r.error.max_abs_error, maxe);
    EXPECT_NEAR(r.error.SqnrDb(), 10 * std::log10(sig / sse), 1e-9);
    EXPECT_EQ(r.bytes, t.nbytes);
  }
}

TEST(QuantizeModel, SameBytesAndStatsAtAnyThreadCount) {
  const Checkpoint src = Testbed();
  ThreadPool one(1), two(2);
  const QuantizedModel a = QuantizeCheckpoint(src, LoadRecipe("Q5_1"), one);
  const QuantizedModel b = QuantizeCheckpoint(src, LoadRecipe("Q5_1"), two);
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    const TensorView& x = a.checkpoint.tensors[i];
    const TensorView& y = b.checkpoint.tensors[i];
    ASSERT_EQ(x.nbytes, y.nbytes);
    EXPECT_EQ(std::memcmp(x.data, y.data, x.nbytes), 0) << x.name;
    EXPECT_EQ(a.tensors[i].error.sum_sq_error, b.tensors[i].error.sum_sq_error) << x.name;
  }
}

TEST(QuantizeModel, RefusesNaNWeights) {
  Checkpoint src = Testbed();
  TensorView& t = const_cast<TensorView&>(src.Get("blk.0.attn_k.weight"));
  auto copy = std::shared_ptr<float[]>(new float[size_t(t.NumElements())]);
  std::memcpy(copy.get(), t.data, t.nbytes);
  copy[size_t(3 * t.Cols() + 5)] = std::numeric_limits<float>::quiet_NaN();
  t.data = reinterpret_cast<const std::byte*>(copy.get());
  src.storage.push_back(copy);
  ThreadPool pool(2);
  try {
    QuantizeCheckpoint(src, LoadRecipe("Q8_0"), pool);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_NE(std::string(e.what()).find(t.name + "' row 3"), std::string::npos) << e.what();
  }
}

TEST(QuantizeModel, QuantizedCheckpointRuns) {
  const Checkpoint src = Testbed();
  ThreadPool pool(2);
  const QuantizedModel q = QuantizeCheckpoint(src, LoadRecipe("Q8_0"), pool);
  model::LlamaModel base(src, pool, 64), quant(q.checkpoint, pool, 64);
  const std::vector<int> tokens = {1, 72, 101, 108, 108, 111};
  const int64_t vocab = src.config.vocab_size;
  std::vector<float> a(size_t(vocab) * tokens.size()), b(a.size());
  model::KvCache ca = base.NewCache(), cb = quant.NewCache();
  base.Forward(tokens, 0, ca, 0, a.data());
  quant.Forward(tokens, 0, cb, 0, b.data());
  // Q8_0 keeps logits close: a loose sanity bound, the precise comparison is the PPL test.
  double max_diff = 0;
  for (size_t i = 0; i < a.size(); ++i)
    max_diff = std::max(max_diff, double(std::abs(a[i] - b[i])));
  EXPECT_LT(max_diff, 0.5);
  EXPECT_GT(max_diff, 0.0);
}

}  // namespace
}  // namespace qforge::quant
