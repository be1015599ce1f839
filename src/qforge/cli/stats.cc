// qforge stats: what a recipe does to each tensor (type, bits per weight, MSE, max error, SQNR),
// without writing a file.
#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "qforge/cli/common.h"
#include "qforge/cli/recipe_help.h"
#include "qforge/quant/quantize_model.h"

namespace qforge::cli {
namespace {

struct StatsFlags {
  ModelFlags model;
  std::string recipe;
  bool json = false;
};

double Bits(const quant::TensorResult& t) {
  int64_t n = 1;
  for (int64_t d : t.shape) n *= d;
  return 8.0 * double(t.bytes) / double(n);
}

// JSON has no infinity: an exact tensor's SQNR is null.
nlohmann::json Sqnr(const quant::ErrorStats& e) {
  return std::isfinite(e.SqnrDb()) ? nlohmann::json(e.SqnrDb()) : nlohmann::json(nullptr);
}

void PrintJson(const quant::Recipe& recipe, const quant::QuantizedModel& q, const Checkpoint& src) {
  nlohmann::json tensors = nlohmann::json::array();
  for (const quant::TensorResult& t : q.tensors)
    tensors.push_back({{"name", t.choice.name},
                       {"shape", t.shape},
                       {"source_type", Traits(t.choice.source).name},
                       {"type", Traits(t.choice.type).name},
                       {"quantized", t.choice.quantized},
                       {"reason", t.choice.reason},
                       {"bytes", t.bytes},
                       {"bits_per_weight", Bits(t)},
                       {"mse", t.error.Mse()},
                       {"max_abs_error", t.error.max_abs_error},
                       {"sqnr_db", Sqnr(t.error)}});
  const nlohmann::json j = {{"model", src.path},
                            {"recipe", nlohmann::json::parse(quant::RecipeToJson(recipe))},
                            {"tensors", std::move(tensors)},
                            {"total",
                             {{"bytes", q.checkpoint.WeightBytes()},
                              {"source_bytes", src.WeightBytes()},
                              {"bits_per_weight", 8.0 * double(q.checkpoint.WeightBytes()) /
                                                      double(src.ParameterCount())},
                              {"mse", q.total.Mse()},
                              {"max_abs_error", q.total.max_abs_error},
                              {"sqnr_db", Sqnr(q.total)}}}};
  fmt::print("{}\n", j.dump(2));
}

void PrintTable(const quant::QuantizedModel& q, const Checkpoint& src) {
  fmt::print("{:<28} {:>12} {:>7} {:>6} {:>11} {:>10} {:>8}\n", "tensor", "shape", "type", "bits",
             "mse", "max err", "sqnr dB");
  for (const quant::TensorResult& t : q.tensors) {
    if (!t.choice.quantized) continue;
    fmt::print("{:<28} {:>12} {:>7} {:>6.2f} {:>11.4e} {:>10.4e} {:>8.2f}\n", t.choice.name,
               ShapeString(t.shape), Traits(t.choice.type).name, Bits(t), t.error.Mse(),
               t.error.max_abs_error, t.error.SqnrDb());
  }
  fmt::print("total: {} -> {} ({:.2f} bits/weight), mse {:.4e}, max err {:.4e}, sqnr {:.2f} dB\n",
             HumanBytes(src.WeightBytes()), HumanBytes(q.checkpoint.WeightBytes()),
             8.0 * double(q.checkpoint.WeightBytes()) / double(src.ParameterCount()), q.total.Mse(),
             q.total.max_abs_error, q.total.SqnrDb());
}

void Run(const StatsFlags& flags) {
  const quant::Recipe recipe = quant::LoadRecipe(flags.recipe);
  LoadedModel m = LoadModel(flags.model, /*need_tokenizer=*/false);
  ThreadPool pool(flags.model.threads);
  Progress progress("stats " + recipe.name, int64_t(m.checkpoint.tensors.size()), "tensors");
  quant::QuantizeOptions options;
  options.on_tensor = [&](size_t done, size_t) { progress.Update(int64_t(done)); };
  const quant::QuantizedModel q = quant::QuantizeCheckpoint(m.checkpoint, recipe, pool, options);
  progress.Finish();
  if (flags.json) {
    PrintJson(recipe, q, m.checkpoint);
  } else {
    PrintTable(q, m.checkpoint);
  }
}

}  // namespace

void RegisterStats(CLI::App& app) {
  auto flags = std::make_shared<StatsFlags>();
  CLI::App* verb = app.add_subcommand(
      "stats",
      "Per-tensor quantization error of a recipe: type, bits/weight, MSE, max error, SQNR");
  AddModelFlags(*verb, flags->model, /*with_tokenizer=*/false);
  verb->add_option("-r,--recipe", flags->recipe, "A preset or a JSON recipe file")->required();
  verb->add_flag("--json", flags->json, "Print JSON instead of a table");
  verb->footer(RecipeTable());
  verb->callback([flags] { Run(*flags); });
}

}  // namespace qforge::cli
