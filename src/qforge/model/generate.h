// Text continuation on token ids: prefill the prompt in one batch, then decode token by token
// until EOS, a stop condition or max_new_tokens.
#pragma once

#include <functional>
#include <vector>

#include "qforge/model/llama_model.h"
#include "qforge/model/sampler.h"

namespace qforge::model {

struct GenerateOptions {
  int max_new_tokens = 64;
  int eos_id = 2;
  SamplerOptions sampler;
};

struct GenerateResult {
  std::vector<int> tokens;  // the new tokens only (EOS not included)
  bool hit_eos = false;
  double prefill_seconds = 0;
  double decode_seconds = 0;
};

// `on_token` sees each new token as it is produced and returns false to stop early (stop strings).
GenerateResult Generate(LlamaModel& model, const std::vector<int>& prompt,
                        const GenerateOptions& options,
                        const std::function<bool(int)>& on_token = {});

}  // namespace qforge::model
