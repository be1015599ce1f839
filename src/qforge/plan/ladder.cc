// The precision ladder: budget parsing, size prediction, candidate order.
#include "qforge/plan/ladder.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <set>

#include "qforge/core/error.h"

namespace qforge::plan {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Unit suffixes, longest first so "gib" is not read as "b" after "gi".
struct Unit {
  const char* suffix;
  double factor;
};
constexpr Unit kUnits[] = {{"tib", 1099511627776.0},
                           {"gib", 1073741824.0},
                           {"mib", 1048576.0},
                           {"kib", 1024.0},
                           {"tb", 1e12},
                           {"gb", 1e9},
                           {"mb", 1e6},
                           {"kb", 1e3},
                           {"b", 1.0},
                           {"", 1.0}};

[[noreturn]] void BadBudget(const std::string& text) {
  Fail(ErrorKind::kInvalidInput,
       "--budget \"{}\": expected a size (4GB, 700MB, 3.9GiB, 123456 bytes) or bits per weight "
       "(4.5bpw)",
       text);
}

}  // namespace

Budget ParseBudget(const std::string& text) {
  const std::string s = Lower(text);
  auto bad = [&]() { BadBudget(text); };
  if (s.empty() || !(std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '.')) bad();
  double value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || !std::isfinite(value) || value <= 0) bad();
  const std::string suffix(end, s.data() + s.size());
  Budget b;
  b.text = text;
  if (suffix == "bpw") {
    if (value > 32) bad();  // more than f32 is not a budget
    b.kind = BudgetKind::kBitsPerWeight;
    b.value = value;
    return b;
  }
  for (const Unit& u : kUnits)
    if (suffix == u.suffix) {
      b.kind = BudgetKind::kBytes;
      b.value = std::floor(value * u.factor);
      if (b.value < 1) bad();
      return b;
    }
  BadBudget(text);
}

std::vector<std::string> DefaultLadder(bool calibrated) {
  std::vector<std::string> names = {"Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0", "f16"};
  // GPTQ onto Q4_0 blocks sits at Q4_0's size, between Q3_K_M and Q4_K_M; BuildLadder sorts it.
  if (calibrated) names.insert(names.begin() + 2, "gptq-q4_0");
  return names;
}

std::vector<std::string> SplitLadder(const std::string& list) {
  std::vector<std::string> names;
  size_t start = 0;
  while (true) {
    const size_t comma = list.find(',', start);
    std::string item =
        list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.empty()) Fail(ErrorKind::kInvalidInput, "--ladder \"{}\": an empty recipe name", list);
    names.push_back(std::move(item));
    if (comma == std::string::npos) return names;
    start = comma + 1;
  }
}

uint64_t EstimateGgufHeaderBytes(const Checkpoint& ckpt, const Vocab& vocab,
                                 uint64_t extra_kv_bytes) {
  constexpr uint64_t kFixed = 4096;  // magic, counts, general.* and llama.* keys
  constexpr uint64_t kPad = 31;      // at most alignment - 1 (GGUF's default 32)
  uint64_t bytes = kFixed + extra_kv_bytes + kPad;
  for (const std::string& t : vocab.tokens) bytes += 8 + t.size() + 4 + 4;
  for (const std::string& m : vocab.merges) bytes += 8 + m.size();
  for (const TensorView& t : ckpt.tensors)
    bytes += 8 + t.name.size() + 4 + 8 * t.shape.size() + 4 + 8 + kPad;
  return bytes;
}

SizePrediction PredictSize(const quant::Recipe& recipe, const Checkpoint& ckpt, const Vocab& vocab,
                           uint64_t extra_kv_bytes) {
  SizePrediction p;
  const std::vector<quant::TensorChoice> plan = quant::PlanRecipe(recipe, ckpt);
  for (size_t i = 0; i < plan.size(); ++i) {
    const TensorView& t = ckpt.tensors[i];
    if (Traits(plan[i].type).ggml_type < 0)
      Fail(ErrorKind::kInvalidInput,
           "recipe '{}' gives {} the type {}, which GGUF cannot hold; auto writes GGUF, so use "
           "ggml types (Q8_0, Q4_K_M, ...)",
           recipe.name, t.name, Traits(plan[i].type).name);
    p.tensor_bytes += RowBytes(plan[i].type, t.Cols()) * uint64_t(t.Rows());
    p.parameters += t.NumElements();
  }
  // The written file records the recipe (qforge.recipe): key, type, length and JSON text.
  const uint64_t recipe_kv = 8 + 13 + 4 + 8 + quant::RecipeToJson(recipe).size();
  p.header_bytes = EstimateGgufHeaderBytes(ckpt, vocab, extra_kv_bytes + recipe_kv);
  p.file_bytes = p.tensor_bytes + p.header_bytes;
  p.bpw = p.parameters > 0 ? 8.0 * double(p.tensor_bytes) / double(p.parameters) : 0;
  return p;
}

bool FitsBudget(const Budget& budget, uint64_t file_bytes, double bpw) {
  switch (budget.kind) {
    case BudgetKind::kNone:
      return true;
    case BudgetKind::kBytes:
      return double(file_bytes) <= budget.value;
    case BudgetKind::kBitsPerWeight:
      return bpw <= budget.value;
  }
  return false;
}

std::vector<LadderRung> BuildLadder(const std::vector<std::string>& names, const Checkpoint& ckpt,
                                    const Vocab& vocab, const Budget& budget, bool calibrated,
                                    uint64_t extra_kv_bytes) {
  if (names.empty()) Fail(ErrorKind::kInvalidInput, "--ladder: no recipes");
  std::vector<LadderRung> ladder;
  std::set<std::string> seen;
  for (const std::string& name : names) {
    LadderRung r;
    r.recipe = quant::LoadRecipe(name);
    if (!seen.insert(r.recipe.name).second)
      Fail(ErrorKind::kInvalidInput, "--ladder: recipe {} is listed twice", r.recipe.name);
    if (r.recipe.method.method != quant::Method::kRtn && !calibrated)
      Fail(ErrorKind::kInvalidInput, "--ladder: recipe {} runs {}: it needs --calib FILE",
           r.recipe.name, quant::MethodName(r.recipe.method.method));
    r.predicted = PredictSize(r.recipe, ckpt, vocab, extra_kv_bytes);
    r.over_budget = !FitsBudget(budget, r.predicted.file_bytes, r.predicted.bpw);
    ladder.push_back(std::move(r));
  }
  std::stable_sort(ladder.begin(), ladder.end(), [](const LadderRung& a, const LadderRung& b) {
    return a.predicted.file_bytes < b.predicted.file_bytes;
  });
  return ladder;
}

}  // namespace qforge::plan
