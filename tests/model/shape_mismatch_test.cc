// A config that disagrees with the tensors is caught when the weights are bound, with the file
// and tensor named, before any computation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "qforge/core/error.h"
#include "qforge/io/hf_checkpoint.h"
#include "qforge/io/llama2c_checkpoint.h"
#include "qforge/model/llama_model.h"
#include "support/paths.h"

namespace qforge {
namespace {
using ::testing::HasSubstr;

TEST(ShapeMismatch, ConfigDisagreesWithTensors) {
  Checkpoint ckpt = io::LoadHfCheckpoint(test::Shared("models/testbed/hf"));
  ckpt.config.hidden_dim = 512;  // the file's FFN is 768 wide
  ThreadPool pool(1);
  try {
    model::LlamaModel m(ckpt, pool);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("blk.0.ffn_gate.weight"));
    EXPECT_THAT(e.what(), HasSubstr("[768, 256]"));
    EXPECT_THAT(e.what(), HasSubstr(ckpt.path));
  }
}

TEST(ShapeMismatch, MissingTensorIsNamed) {
  Checkpoint ckpt = io::LoadLlama2cCheckpoint(test::Shared("models/stories260K/stories260K.bin"));
  std::erase_if(ckpt.tensors, [](const TensorView& t) { return t.name == "blk.2.attn_v.weight"; });
  ThreadPool pool(1);
  EXPECT_THROW(model::LlamaModel(ckpt, pool), Error);
}

TEST(ShapeMismatch, TokenOutOfRangeIsAnError) {
  const Checkpoint ckpt =
      io::LoadLlama2cCheckpoint(test::Shared("models/stories260K/stories260K.bin"));
  ThreadPool pool(1);
  model::LlamaModel m(ckpt, pool);
  auto cache = m.NewCache(8);
  std::vector<float> logits(512);
  const int bad = 512;
  EXPECT_THROW(m.Forward({&bad, 1}, 0, cache, 0, logits.data()), Error);
  const int ok = 1;
  EXPECT_THROW(m.Forward({&ok, 1}, 8, cache, 0, logits.data()), Error);  // past the cache
}

}  // namespace
}  // namespace qforge
