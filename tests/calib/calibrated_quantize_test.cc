// The calibrated methods end to end on the test-bed model with real calibration text: every
// linear layer's output error under GPTQ is below round-to-nearest's at the same type; AWQ's is
// below RTN's over each layer; SmoothQuant W8A8 runs; the result is deterministic at any thread
// count and runs in the forward pass.
#include "qforge/calib/calibrated_quantize.h"

#include <gtest/gtest.h>

#include <cmath>

#include "qforge/core/error.h"
#include "qforge/io/load_checkpoint.h"
#include "qforge/model/llama_model.h"
#include "qforge/quant/quantize_model.h"
#include "qforge/tokenizer/load.h"
#include "support/paths.h"

namespace qforge::calib {
namespace {

struct Fixture {
  Checkpoint ckpt = io::LoadCheckpoint(test::Shared("models/testbed/testbed.bin"));
  std::unique_ptr<tokenizer::Tokenizer> tok =
      tokenizer::LoadTokenizer(test::Shared("models/testbed/tokenizer.model"));
  CalibrationSet set = SampleWindows(
      LoadCalibrationDocuments(test::Shared("models/testbed/calib.txt"), std::nullopt), *tok,
      {8, 128, 0});
};

const Fixture& Shared() {
  static const Fixture f;
  return f;
}

quant::Recipe WithType(const char* preset, const char* type) {
  quant::Recipe r = quant::LoadRecipe(preset);
  r.default_type = type;
  return r;
}

TEST(CalibratedQuantize, GptqBeatsRtnOnEveryLinearLayer) {
  ThreadPool pool(2);
  for (const char* type : {"INT4_G128", "Q4_0"}) {
    const CalibratedModel m = RunCalibratedMethod(Shared().ckpt, WithType("gptq-w4g128", type), Shared().set, pool);
    ASSERT_EQ(m.linears.size(), 28u);
    for (const LinearReport& r : m.linears) EXPECT_LT(r.error, r.rtn_error) << type << " " << r.name;
  }
}

TEST(CalibratedQuantize, AwqBeatsRtnOverEachLayer) {
  ThreadPool pool(2);
  const CalibratedModel m = RunCalibratedMethod(Shared().ckpt, quant::LoadRecipe("awq-w4g128"), Shared().set, pool);
  ASSERT_EQ(m.linears.size(), 28u);
  for (size_t l = 0; l < 4; ++l) {
    double awq = 0, rtn = 0;
    for (size_t k = 0; k < 7; ++k) {
      awq += m.linears[l * 7 + k].error;
      rtn += m.linears[l * 7 + k].rtn_error;
    }
    EXPECT_LT(awq, rtn) << "layer " << l;
  }
}

TEST(CalibratedQuantize, DeterministicAtAnyThreadCountAndRuns) {
  quant::Recipe r = quant::LoadRecipe("w8a8-smoothquant");
  ThreadPool one(1), two(2);
  const CalibratedModel a = RunCalibratedMethod(Shared().ckpt, r, Shared().set, one);
  const CalibratedModel b = RunCalibratedMethod(Shared().ckpt, r, Shared().set, two);
  ASSERT_EQ(a.checkpoint.tensors.size(), b.checkpoint.tensors.size());
  for (size_t i = 0; i < a.checkpoint.tensors.size(); ++i) {
    const TensorView& x = a.checkpoint.tensors[i];
    const TensorView& y = b.checkpoint.tensors[i];
    ASSERT_EQ(x.type, y.type) << x.name;
    ASSERT_EQ(x.nbytes, y.nbytes) << x.name;
    EXPECT_EQ(std::memcmp(x.data, y.data, x.nbytes), 0) << x.name;
  }
  // Norm weights carry the folded scales; linear layers are W8A8 already.
  EXPECT_EQ(a.checkpoint.Get("blk.0.attn_q.weight").type, QType::kW8A8);
  EXPECT_EQ(a.checkpoint.Get("blk.0.attn_norm.weight").type, QType::kF32);
  const quant::QuantizedModel q = quant::QuantizeCheckpoint(a.checkpoint, r, two);
  model::LlamaModel m(q.checkpoint, two);
  model::KvCache cache = m.NewCache();
  const std::vector<int> tokens = Shared().tok->Encode("Once upon a time", true);
  std::vector<float> logits(size_t(tokens.size()) * 512);
  m.Forward(tokens, 0, cache, 0, logits.data());
  for (float v : logits) ASSERT_TRUE(std::isfinite(v));
}

TEST(CalibratedQuantize, RefusesWhatItCannotDo) {
  ThreadPool pool(1);
  EXPECT_THROW(RunCalibratedMethod(Shared().ckpt, quant::LoadRecipe("Q4_0"), Shared().set, pool), Error);
  // GPTQ needs a fixed grid per group: k-quants are refused with a pointer to awq/imatrix.
  try {
    RunCalibratedMethod(Shared().ckpt, WithType("gptq-w4g128", "Q4_K"), Shared().set, pool);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Q4_K"), std::string::npos) << e.what();
  }
}

TEST(CalibratedQuantize, DefaultSampleSizes) {
  ModelConfig c;
  c.max_seq_len = 256;
  EXPECT_EQ(DefaultSampleOptions(quant::LoadRecipe("gptq-w4g128"), c).tokens, 256);
  c.max_seq_len = 4096;
  EXPECT_EQ(DefaultSampleOptions(quant::LoadRecipe("gptq-w4g128"), c).tokens, 2048);
  EXPECT_EQ(DefaultSampleOptions(quant::LoadRecipe("awq-w4g128"), c).tokens, 512);
  EXPECT_EQ(DefaultSampleOptions(quant::LoadRecipe("awq-w4g128"), c).samples, 128);
}

}  // namespace
}  // namespace qforge::calib
