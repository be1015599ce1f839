// Mixed-precision allocation from two sensitivity scans: which tensors to move from a cheap type to
// a better one, best KLD bought per extra byte first, and the recipe that does it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "qforge/plan/sensitivity.h"
#include "qforge/quant/recipe.h"

namespace qforge::plan {

// One tensor's move from a cheap type to a better one: what it costs and what it buys.
struct Promotion {
  std::string name;
  QType from = QType::kF32, to = QType::kF32;
  int64_t extra_bytes = 0;  // bytes_type(better) - bytes_type(cheap), as written (RowBytes x rows)
  double kld_gain = 0;      // kld_mean(cheap) - kld_mean(better)
};

// Promotions ranked by KLD bought per extra byte (best first), from two scans of the same model:
// the cheap recipe's and the better recipe's. Only tensors in both scans whose types differ are
// promoted. Order, deterministic (ties by name):
//   1. kld_gain > 0 and extra_bytes <= 0 (a free improvement), by gain, highest first;
//   2. kld_gain > 0 and extra_bytes > 0, by kld_gain / extra_bytes, highest first;
//   3. kld_gain <= 0 (buys nothing measurable), by extra_bytes, fewest first.
// The third group is kept, last, so that a caller sees every move; the gain tells it to stop.
// Throws Error{kInvalidInput} when a tensor has different stored types in the two scans (they
// are not of the same model).
std::vector<Promotion> RankPromotions(const SensitivityResult& cheap,
                                      const SensitivityResult& better);

// Promotions along a ladder of scans of the same model, cheapest recipe first (e.g. Q3_K_S,
// Q4_K_S, Q5_K_S, Q6_K): a tensor may climb several rungs. Per tensor, its types in the scans give
// points (bytes, KLD); from the first scan's point the steps follow the lower convex hull (each
// step the best KLD per byte from where the tensor stands; collinear points are taken in one
// step), so a tensor's steps have strictly decreasing gain per byte. A free step (no more bytes,
// less KLD) comes first. All steps are then ranked as RankPromotions ranks (a tensor's steps stay
// in order); steps that buy nothing are left out, so every promotion is worth its bytes by the
// scans. With two scans this is RankPromotions without its third group. Throws as RankPromotions.
std::vector<Promotion> RankLadderPromotions(std::span<const SensitivityResult> scans);

// `base` plus exact-name rules that give the first `count` promotions their better type (rules
// first, so they win). The result is an ordinary Recipe (RecipeToJson writes it), named `name`.
// A tensor named by several of those promotions (ladder steps) gets the last one's type.
// Throws Error{kInvalidInput} when count exceeds promotions.size().
quant::Recipe PromoteTensors(const quant::Recipe& base, std::span<const Promotion> promotions,
                             size_t count, const std::string& name);

}  // namespace qforge::plan
