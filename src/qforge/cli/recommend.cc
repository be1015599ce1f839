// qforge recommend: which precision to ship for a model on given hardware and memory (plan/).
#include "qforge/plan/recommend.h"

#include <fmt/format.h>

#include "qforge/cli/common.h"
#include "qforge/core/error.h"

namespace qforge::cli {
namespace {

struct RecommendFlags {
  std::string model;  // a model file to size exactly, instead of --params
  std::string params;
  std::string memory;
  std::string hardware = "cpu";
  std::string quality = "relaxed";
  std::string calib = "yes";
  int64_t ctx = 4096;
  int64_t batch = 1;
  std::string kv_type = "f16";
  bool json = false;
};

void Run(const RecommendFlags& flags) {
  if (flags.model.empty() == flags.params.empty())
    Fail(ErrorKind::kInvalidInput,
         "give either --params (7B, 1.1B, 6738415616, Llama-3-70B) or a MODEL file, not {}",
         flags.model.empty() ? "neither" : "both");
  plan::RecommendRequest r;
  if (flags.model.empty()) {
    r.model = plan::ShapeForParams(flags.params);
  } else {
    r.model = plan::ShapeFromModelFile(flags.model);
    r.model_arg = flags.model;
  }
  r.hardware = flags.hardware;
  if (!flags.memory.empty()) r.memory_bytes = plan::ParseBytes(flags.memory);
  r.quality = flags.quality == "strict" ? plan::Quality::kStrict : plan::Quality::kRelaxed;
  r.calib = flags.calib == "yes";
  r.ctx = flags.ctx;
  r.batch = flags.batch;
  r.kv_type = flags.kv_type;
  const plan::Recommendation rec = plan::Recommend(r);
  fmt::print("{}",
             flags.json ? plan::RecommendationJson(rec) + "\n" : plan::FormatRecommendation(rec));
}

}  // namespace

void RegisterRecommend(CLI::App& app) {
  auto flags = std::make_shared<RecommendFlags>();
  CLI::App* verb = app.add_subcommand(
      "recommend",
      "Which precision to ship: ranked formats with the memory arithmetic and the commands");
  verb->add_option(
      "model", flags->model,
      "Model file to size exactly (GGUF, safetensors directory, llama2.c); or --params");
  verb->add_option("--params", flags->params,
                   "Parameters: 7B, 8B, 13B, 70B, 1.1B, a full count, or a name (Llama-2-70B); "
                   "known Llama shapes are used, others interpolated");
  verb->add_option("--memory", flags->memory,
                   "Memory for the model: 80GB, 24G (decimal GB), 80GiB (2^30); default: the "
                   "device's typical memory");
  std::string names;
  for (const plan::Hardware& h : plan::HardwareTable())
    names += fmt::format("{}{} ({:g} GB)", names.empty() ? "" : ", ", h.name, h.memory_gb);
  verb->add_option("--hardware", flags->hardware, "Device: " + names)->capture_default_str();
  verb->add_option("--quality", flags->quality, "strict (8 bits and up) or relaxed")
      ->check(CLI::IsMember({"strict", "relaxed"}))
      ->capture_default_str();
  verb->add_option("--calib", flags->calib, "Calibration text available (GPTQ, AWQ): yes or no")
      ->check(CLI::IsMember({"yes", "no"}))
      ->capture_default_str();
  verb->add_option("--ctx", flags->ctx, "KV cache: tokens per sequence")
      ->check(CLI::Range(int64_t(1), int64_t(1) << 24))
      ->capture_default_str();
  verb->add_option("--batch", flags->batch, "KV cache: sequences at once")
      ->check(CLI::Range(int64_t(1), int64_t(1) << 20))
      ->capture_default_str();
  verb->add_option("--kv-type", flags->kv_type, "KV cache element: f16, bf16, f32, fp8, q8_0, q4_0")
      ->capture_default_str();
  verb->add_flag("--json", flags->json, "Print JSON instead of a table");
  verb->callback([flags] { Run(*flags); });
}

}  // namespace qforge::cli
