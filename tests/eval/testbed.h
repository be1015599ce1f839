// The test-bed model (../shared/models/testbed) and llama.cpp's files of it, loaded once per
// process for the eval tests.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "qforge/core/thread_pool.h"
#include "qforge/io/load_checkpoint.h"
#include "qforge/io/mapped_file.h"
#include "qforge/model/llama_model.h"
#include "qforge/tokenizer/sentencepiece_tokenizer.h"
#include "support/paths.h"

namespace qforge::test {

inline ThreadPool& Pool() {
  static ThreadPool pool(2);
  return pool;
}

inline const tokenizer::SentencePieceTokenizer& TestbedTokenizer() {
  static const tokenizer::SentencePieceTokenizer tok(Shared("models/testbed/tokenizer.model"));
  return tok;
}

// A model that owns its checkpoint; `rel` is relative to the shared directory.
struct LoadedTestModel {
  explicit LoadedTestModel(const std::string& rel, int context = 256)
      : checkpoint(io::LoadCheckpoint(Shared(rel))), model(checkpoint, Pool(), context) {}
  Checkpoint checkpoint;
  model::LlamaModel model;
};

inline LoadedTestModel& TestbedF32() {
  static LoadedTestModel m("models/testbed/testbed.bin");
  return m;
}

inline const std::vector<int>& HeldoutTokens() {
  static const std::vector<int> tokens =
      TestbedTokenizer().Encode(io::ReadTextFile(Shared("models/testbed/heldout.txt")), true);
  return tokens;
}

}  // namespace qforge::test
