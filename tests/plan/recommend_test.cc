// qforge recommend against the seeds' decision-tree examples, the rules' integrity, bad input and
// the JSON output.
#include "qforge/plan/recommend.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "qforge/core/error.h"
#include "qforge/quant/recipe.h"

namespace qforge::plan {
namespace {

Recommendation Ask(const std::string& params, const std::string& hardware,
                   std::optional<std::string> memory = std::nullopt,
                   Quality quality = Quality::kRelaxed, bool calib = true) {
  RecommendRequest r;
  r.model = ShapeForParams(params);
  r.hardware = hardware;
  if (memory) r.memory_bytes = ParseBytes(*memory);
  r.quality = quality;
  r.calib = calib;
  return Recommend(r);
}

std::string BestId(const Recommendation& rec) {
  const Option* best = rec.Best();
  return best ? std::string(best->candidate->id) : "(none)";
}

const Option& Find(const Recommendation& rec, std::string_view id) {
  for (const Option& o : rec.options)
    if (o.candidate->id == id) return o;
  throw std::runtime_error("no option " + std::string(id));
}

// Seed: "70B on one 80 GB A100 -> AWQ/GPTQ int4". bf16 (141 GB) and int8 (~72 GB of weights plus
// cache and overhead) do not fit; A100 has no FP8 units.
TEST(Recommend, Seed70BOnOneA100IsCalibratedInt4) {
  const Recommendation rec = Ask("70B", "a100", "80GB");
  const std::string best = BestId(rec);
  EXPECT_TRUE(best == "gptq-w4g128" || best == "awq-w4g128") << FormatRecommendation(rec);
  EXPECT_EQ(Find(rec, "bf16").status, Status::kTooBig);
  EXPECT_EQ(Find(rec, "int8").status, Status::kTooBig);
  EXPECT_EQ(Find(rec, "fp8-e4m3").status, Status::kExcluded);
  EXPECT_EQ(rec.Best()->rank, 1);
  EXPECT_NEAR(rec.Best()->bits_per_weight, 4.5, 0.3);  // int4 g128 + 16-bit embedding and head
  // Without calibration text GPTQ and AWQ drop out; round-to-nearest int4 takes their place.
  const Recommendation no_calib = Ask("70B", "a100", "80GB", Quality::kRelaxed, false);
  EXPECT_EQ(BestId(no_calib), "int4-g128-asym");
  EXPECT_EQ(Find(no_calib, "gptq-w4g128").status, Status::kExcluded);
}

// Seed: "8B on a 24 GB GPU with strict quality -> bf16 or int8".
TEST(Recommend, Seed8BOn24GBStrictIs16Or8Bit) {
  const Recommendation rec = Ask("8B", "a10g", "24GB", Quality::kStrict);
  const std::string best = BestId(rec);
  EXPECT_TRUE(best == "bf16" || best == "int8") << FormatRecommendation(rec);
  // 4-bit fits too but is below the strict bar: ranked after the 8- and 16-bit options.
  const Option& q4 = Find(rec, "Q4_K_M");
  EXPECT_EQ(q4.status, Status::kNotPreferred);
  EXPECT_GT(q4.rank, Find(rec, "int8").rank);
}

// Seed: "CPU only -> GGUF Q4_K_M", whatever the memory (decode speed is bytes per token).
TEST(Recommend, SeedCpuOnlyIsQ4_K_M) {
  for (const char* memory : {"16GB", "64GB", "256GB"})
    EXPECT_EQ(BestId(Ask("7B", "cpu", memory)), "Q4_K_M") << memory;
  EXPECT_EQ(BestId(Ask("8B", "apple-m")), "Q4_K_M");
  // GPU serving formats are excluded on a CPU, with the rule's reason.
  const Option& gptq = Find(Ask("7B", "cpu"), "gptq-w4g128");
  EXPECT_EQ(gptq.status, Status::kExcluded);
  EXPECT_NE(gptq.reason.find("GGUF"), std::string::npos);
  // Strict quality on a CPU: 8-bit GGUF.
  EXPECT_EQ(BestId(Ask("7B", "cpu", "64GB", Quality::kStrict)), "Q8_0");
}

// Seed: "H100 -> FP8 E4M3 considered": ranked first on FP8 hardware when it fits, ranked (not
// excluded) when it does not, and excluded on hardware without FP8 units.
TEST(Recommend, SeedH100ConsidersFp8E4M3) {
  EXPECT_EQ(BestId(Ask("8B", "h100")), "fp8-e4m3");
  EXPECT_EQ(BestId(Ask("70B", "h200")), "fp8-e4m3");  // 141 GB
  EXPECT_EQ(BestId(Ask("70B", "mi300x")), "fp8-e4m3");
  const Recommendation big = Ask("70B", "h100");
  EXPECT_EQ(Find(big, "fp8-e4m3").status, Status::kTooBig);
  EXPECT_GT(Find(big, "fp8-e4m3").rank, 0);
  const std::string best = BestId(big);
  EXPECT_TRUE(best == "gptq-w4g128" || best == "awq-w4g128") << best;
  const Recommendation strict = Ask("8B", "h100", std::nullopt, Quality::kStrict);
  EXPECT_EQ(BestId(strict), "bf16");
  EXPECT_EQ(Find(strict, "fp8-e4m3").status, Status::kFits);
  EXPECT_EQ(Find(strict, "fp8-e4m3").rank, 2);
  const Option& a100 = Find(Ask("8B", "a100"), "fp8-e4m3");
  EXPECT_EQ(a100.status, Status::kExcluded);
  EXPECT_NE(a100.reason.find("8.9"), std::string::npos) << a100.reason;
}

// Seed: "7B in 8 GB -> 4-bit" (Llama-2-7B has no GQA: its f16 cache at 4096 tokens is 2.1 GB).
TEST(Recommend, Seed7BIn8GBIs4Bit) {
  for (const char* hw : {"cpu", "a10g", "apple-m"}) {
    const Recommendation rec = Ask("7B", hw, "8GB");
    ASSERT_NE(rec.Best(), nullptr) << hw << "\n" << FormatRecommendation(rec);
    EXPECT_EQ(rec.Best()->candidate->tier, Tier::kModerate) << hw << ": " << BestId(rec);
    EXPECT_GE(rec.Best()->bits_per_weight, 4.0) << hw;
    EXPECT_LT(rec.Best()->bits_per_weight, 5.0) << hw;
    EXPECT_LE(rec.Best()->total_bytes, 8e9) << hw;
  }
}

TEST(Recommend, MemoryArithmeticAddsUp) {
  const Recommendation rec = Ask("8B", "a10g", "24GB");
  for (const Option& o : rec.options) {
    EXPECT_DOUBLE_EQ(o.total_bytes, o.weight_bytes + o.kv_bytes + o.overhead_bytes);
    EXPECT_DOUBLE_EQ(o.headroom_bytes, 24e9 - o.total_bytes);
    EXPECT_DOUBLE_EQ(o.kv_bytes, 2.0 * 32 * 8 * 128 * 4096 * 2);
  }
  // The default memory is the device's.
  EXPECT_DOUBLE_EQ(Ask("8B", "h200").memory_bytes, 141e9);
  // Ranks are 1..n over the non-excluded options, excluded ones last.
  int expected = 1;
  bool excluded_seen = false;
  for (const Option& o : rec.options) {
    if (o.status == Status::kExcluded) {
      excluded_seen = true;
      EXPECT_EQ(o.rank, 0);
      EXPECT_TRUE(o.commands.empty());
    } else {
      EXPECT_FALSE(excluded_seen);
      EXPECT_EQ(o.rank, expected++);
    }
  }
}

TEST(Recommend, CommandsUseRealPresetsAndFormats) {
  RecommendRequest r;
  r.model = ShapeForParams("70B");
  r.hardware = "a100";
  r.model_arg = "llama-70b/";
  const Recommendation rec = Recommend(r);
  const Option& best = *rec.Best();
  ASSERT_EQ(best.commands.size(), 3u);
  EXPECT_EQ(
      best.commands[0].find("qforge quantize llama-70b/ -r " + std::string(best.candidate->preset)),
      0u);
  EXPECT_NE(best.commands[0].find("--calib calib.txt"), std::string::npos);
  EXPECT_NE(best.commands[0].find("--format " + std::string(best.candidate->format)),
            std::string::npos);
  EXPECT_NE(best.commands[1].find("qforge eval model-"), std::string::npos);
  EXPECT_NE(best.commands[1].find("--baseline llama-70b/"), std::string::npos);
  EXPECT_EQ(best.commands[2].find("qforge gate report-"), 0u);
}

// The rules are data: every id they name is a candidate, every candidate's preset exists, and
// every hardware x quality has a preference rule.
TEST(RecommendRules, TablesAreWhole) {
  std::set<std::string_view> ids;
  for (const Candidate& c : Candidates()) {
    EXPECT_TRUE(ids.insert(c.id).second) << c.id;
    EXPECT_NO_THROW(quant::LoadRecipe(std::string(c.preset))) << c.preset;
    EXPECT_FALSE(c.why.empty());
    EXPECT_FALSE(c.quality.empty());
  }
  for (const Preference& p : PreferenceRules()) {
    EXPECT_FALSE(p.reason.empty()) << p.name;
    EXPECT_FALSE(p.citation.empty()) << p.name;
    for (std::string_view id : p.order) EXPECT_TRUE(ids.count(id)) << p.name << ": " << id;
  }
  for (const Exclusion& e : ExclusionRules()) EXPECT_FALSE(e.citation.empty()) << e.reason;
  for (const Hardware& h : HardwareTable())
    for (Quality q : {Quality::kStrict, Quality::kRelaxed}) {
      int matches = 0;
      for (const Preference& p : PreferenceRules()) matches += p.when.Matches(h, q);
      EXPECT_GE(matches, 1) << h.name;
    }
}

TEST(Recommend, BadInputIsAClearError) {
  RecommendRequest r;
  r.model = ShapeForParams("7B");
  r.hardware = "tpu";
  try {
    Recommend(r);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--hardware 'tpu': not one of cpu, a10g"),
              std::string::npos)
        << e.what();
  }
  r.hardware = "H100";  // case-insensitive
  EXPECT_NO_THROW(Recommend(r));
  r.ctx = 0;
  EXPECT_THROW(Recommend(r), Error);
  r.ctx = 4096;
  r.kv_type = "int3";
  EXPECT_THROW(Recommend(r), Error);
}

TEST(Recommend, JsonIsValidAndComplete) {
  const Recommendation rec = Ask("70B", "a100", "80GB");
  const nlohmann::json j = nlohmann::json::parse(RecommendationJson(rec));
  EXPECT_EQ(j["recommended"], BestId(rec));
  EXPECT_EQ(j["model"]["params"], rec.request.model.params);
  EXPECT_EQ(j["model"]["kv_heads"], 8);
  EXPECT_EQ(j["memory_bytes"], 80e9);
  EXPECT_EQ(j["rule"]["name"], "gpu-relaxed");
  EXPECT_FALSE(j["rule"]["citation"].get<std::string>().empty());
  ASSERT_EQ(j["options"].size(), Candidates().size());
  const nlohmann::json& first = j["options"][0];
  EXPECT_EQ(first["rank"], 1);
  EXPECT_EQ(first["status"], "recommended");
  EXPECT_TRUE(first["fits"].get<bool>());
  EXPECT_EQ(first["commands"].size(), 3u);
  EXPECT_DOUBLE_EQ(first["total_bytes"].get<double>(), first["weights_bytes"].get<double>() +
                                                           first["kv_bytes"].get<double>() +
                                                           first["overhead_bytes"].get<double>());
  EXPECT_DOUBLE_EQ(j["kv_cache"]["bytes"].get<double>(), 2.0 * 80 * 8 * 128 * 4096 * 2);
  bool excluded = false;
  for (const auto& o : j["options"])
    if (o["status"] == "excluded") {
      excluded = true;
      EXPECT_TRUE(o["rank"].is_null());
      EXPECT_FALSE(o["citation"].get<std::string>().empty());
    }
  EXPECT_TRUE(excluded);
}

TEST(Recommend, TextShowsTheArithmetic) {
  const std::string text = FormatRecommendation(Ask("8B", "a10g", "24GB"));
  EXPECT_NE(text.find("2 x 32 layers x 8 kv heads x 128 head dim x 4096 ctx x 1 batch x 2 bytes"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("recommended: bf16"), std::string::npos) << text;
  EXPECT_NE(text.find("qforge quantize MODEL -r bf16 -o model-bf16.gguf"), std::string::npos);
  EXPECT_NE(text.find("GB = 1e9 bytes"), std::string::npos);
}

}  // namespace
}  // namespace qforge::plan
