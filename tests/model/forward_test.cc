// The forward pass against logits computed by an independent float64 PyTorch implementation
// (../shared/reference/*/logits.f32), for every source format of the same weights.
#include <gtest/gtest.h>

#include <iostream>

#include "qforge/io/hf_checkpoint.h"
#include "qforge/io/llama2c_checkpoint.h"
#include "qforge/model/llama_model.h"
#include "support/reference.h"

namespace qforge {
namespace {

// Reference logits are O(10) and computed in float64; an f32 pass of these depths accumulates
// rounding of ~1e-6 relative per op, far below 1e-4 absolute (the README's suggested bound).
constexpr double kLogitTolerance = 1e-4;

std::vector<float> AllLogits(const Checkpoint& ckpt, const std::vector<int>& tokens, int threads) {
  ThreadPool pool(threads);
  model::LlamaModel m(ckpt, pool);
  model::KvCache cache = m.NewCache(int(tokens.size()));
  std::vector<float> logits(tokens.size() * size_t(ckpt.config.vocab_size));
  m.Forward(tokens, 0, cache, 0, logits.data());
  return logits;
}

std::vector<float> DecodeLogits(const Checkpoint& ckpt, const std::vector<int>& tokens) {
  ThreadPool pool(2);
  model::LlamaModel m(ckpt, pool);
  model::KvCache cache = m.NewCache(int(tokens.size()));
  const size_t vocab = size_t(ckpt.config.vocab_size);
  std::vector<float> logits(tokens.size() * vocab);
  for (size_t t = 0; t < tokens.size(); ++t)
    m.Forward({&tokens[t], 1}, int(t), cache, 0, &logits[t * vocab]);
  return logits;
}

struct Case {
  const char* name;
  const char* model;
  const char* reference;
};

class ForwardReference : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    const Case& c = GetParam();
    const auto ref = test::ReadJson(test::Shared(std::string(c.reference) + "/logits.json"));
    tokens_ = ref["tokens"].get<std::vector<int>>();
    expected_ = test::ReadF32(test::Shared(std::string(c.reference) + "/logits.f32"));
    const std::string path = test::Shared(c.model);
    ckpt_ = path.ends_with(".bin") ? io::LoadLlama2cCheckpoint(path) : io::LoadHfCheckpoint(path);
    ASSERT_EQ(expected_.size(), tokens_.size() * size_t(ckpt_.config.vocab_size));
  }
  std::vector<int> tokens_;
  std::vector<float> expected_;
  Checkpoint ckpt_;
};

TEST_P(ForwardReference, BatchedPrefillMatchesFloat64Reference) {
  const double diff = test::MaxAbsDiff(AllLogits(ckpt_, tokens_, 2), expected_);
  RecordProperty("max_abs_diff", std::to_string(diff));
  std::cout << "max |logit - reference| = " << diff << "\n";
  EXPECT_LE(diff, kLogitTolerance);
}

TEST_P(ForwardReference, TokenByTokenDecodeMatchesReference) {
  const double diff = test::MaxAbsDiff(DecodeLogits(ckpt_, tokens_), expected_);
  std::cout << "max |logit - reference| = " << diff << "\n";
  EXPECT_LE(diff, kLogitTolerance);
}

TEST_P(ForwardReference, IdenticalAtAnyThreadCount) {
  const auto one = AllLogits(ckpt_, tokens_, 1);
  for (int threads : {2, 3, 5})
    EXPECT_EQ(AllLogits(ckpt_, tokens_, threads), one) << threads << " threads";
}

INSTANTIATE_TEST_SUITE_P(
    Models, ForwardReference,
    ::testing::Values(Case{"stories260K_llama2c", "models/stories260K/stories260K.bin",
                           "reference/stories260K"},
                      Case{"testbed_llama2c", "models/testbed/testbed.bin", "reference/testbed"},
                      Case{"testbed_safetensors", "models/testbed/hf", "reference/testbed"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace qforge

#include "qforge/io/load_checkpoint.h"
#include "qforge/kernels/ops.h"
#include "support/paths.h"

namespace qforge::model {
namespace {

// Calibration runs the model a layer at a time: Embed, ForwardLayer for each layer (with a
// one-layer cache), then the head must give Forward's logits bit for bit, and the observer sees
// each of the four linear inputs once per layer.
TEST(LayerAtATime, EqualsForward) {
  const Checkpoint ckpt = io::LoadCheckpoint(test::Shared("models/testbed/testbed.bin"));
  ThreadPool pool(2);
  LlamaModel model(ckpt, pool);
  const std::vector<int> tokens = {1, 45, 300, 12, 99, 7};
  const int n = int(tokens.size()), dim = model.config().dim, vocab = model.config().vocab_size;
  std::vector<float> hidden(size_t(n * dim));
  model.Embed(tokens, hidden.data());
  KvCache one(1, 16, model.config().kv_dim());
  int observed = 0;
  for (int l = 0; l < model.config().n_layers; ++l)
    model.ForwardLayer(l, hidden.data(), n, 0, one, 0,
                       [&](int layer, LinearInput, const float*, int rows, int) {
                         EXPECT_EQ(layer, l);
                         EXPECT_EQ(rows, n);
                         ++observed;
                       });
  EXPECT_EQ(observed, 4 * model.config().n_layers);
  // The head by hand: output norm, then the (tied) classifier.
  const TensorView& norm = ckpt.Get("output_norm.weight");
  std::vector<float> last(static_cast<size_t>(dim)), head(static_cast<size_t>(vocab));
  kernels::RmsNorm(&hidden[size_t((n - 1) * dim)], reinterpret_cast<const float*>(norm.data), dim,
                   model.config().norm_eps, last.data());
  kernels::MatMul(ckpt.Get("token_embd.weight"), last.data(), 1, head.data(), pool);
  KvCache cache = model.NewCache(16);
  std::vector<float> logits(static_cast<size_t>(vocab));
  model.Forward(tokens, 0, cache, n - 1, logits.data());
  EXPECT_EQ(head, logits);
}

}  // namespace
}  // namespace qforge::model
