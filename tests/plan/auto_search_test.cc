// plan::AutoSearch on stories260K with a KLD-threshold verdict: the pick is the rung the
// threshold dictates (rung metrics computed independently with eval::Evaluate), the budget holds
// on disk, finished rungs come from the cache, the output does not depend on the thread count,
// and step 2's probes are real evaluations.
#include "qforge/plan/auto_search.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "qforge/core/error.h"
#include "qforge/eval/cache.h"
#include "qforge/io/load_checkpoint.h"
#include "qforge/io/mapped_file.h"
#include "qforge/tokenizer/sentencepiece_tokenizer.h"
#include "support/paths.h"
#include "support/temp_dir.h"

namespace qforge::plan {
namespace {

using test::Shared;
using test::Source;

const Checkpoint& Stories() {
  static const Checkpoint c = io::LoadCheckpoint(Shared("models/stories260K/stories260K.bin"));
  return c;
}
const tokenizer::SentencePieceTokenizer& Tok() {
  static const tokenizer::SentencePieceTokenizer t(Shared("models/stories260K/tok512.model"));
  return t;
}

// Text metrics only: 4 chunks of 128 tokens of the bundled sample (well under a second a rung).
eval::EvalOptions TextOptions() {
  eval::EvalOptions o;
  o.text_tokens = Tok().Encode(io::ReadTextFile(Source("data/tinystories-sample.txt")), true);
  o.ppl.n_ctx = 128;
  o.ppl.n_chunks = 4;
  o.ppl.bos_id = Tok().bos_id();
  o.bootstrap.resamples = 200;
  o.settings = "test";
  return o;
}

quant::QuantizedModel Quantize(const quant::Recipe& r, ThreadPool& pool) {
  quant::QuantizeOptions qo;
  qo.measure_error = false;
  return quant::QuantizeCheckpoint(Stories(), r, pool, qo);
}

class AutoSearchTest : public test::TempDirTest {
 protected:
  struct Run {
    explicit Run(int threads) : pool(threads), base_model(Stories(), pool, 512) {}
    ThreadPool pool;
    model::LlamaModel base_model;
    AutoContext ctx;
  };
  std::unique_ptr<Run> MakeRun(int threads = 2) {
    auto r = std::make_unique<Run>(threads);
    r->ctx.base = &Stories();
    r->ctx.base_model = &r->base_model;
    r->ctx.tokenizer = &Tok();
    r->ctx.base_path = Stories().path;
    r->ctx.base_hash = 42;
    r->ctx.base_bytes = Stories().WeightBytes();
    r->ctx.eval = TextOptions();
    r->ctx.capacity = 512;
    r->ctx.pool = &r->pool;
    return r;
  }
  std::vector<LadderRung> Ladder(const Budget& budget = {}) {
    return BuildLadder(DefaultLadder(false), Stories(), Tok().ToVocab(), budget, false, 0);
  }
  AutoOptions Options(const std::string& dir) {
    AutoOptions o;
    o.out_dir = Path(dir);
    o.mixed = false;
    o.write.matrix_type = std::nullopt;
    return o;
  }
  // Passes when the mean KLD is at most `limit`; counts its calls.
  VerdictFn KldBelow(double limit) {
    return [this, limit](const eval::EvalResult& e, const eval::EvalOptions&) {
      ++verdicts_;
      RungVerdict v;
      v.passed = e.distribution->kld_mean <= limit;
      if (!v.passed) v.failing = {fmt::format("kld {} > {}", e.distribution->kld_mean, limit)};
      return v;
    };
  }
  static QuantizeFn Quantizer(ThreadPool& pool) {
    return [&pool](const quant::Recipe& r) { return Quantize(r, pool); };
  }
  // Each rung's mean KLD by a plain eval::Evaluate, independent of the search.
  std::vector<double> IndependentKld(const std::vector<LadderRung>& ladder) {
    ThreadPool pool(2);
    model::LlamaModel base(Stories(), pool, 512);
    std::vector<double> kld;
    for (const LadderRung& l : ladder) {
      const quant::QuantizedModel q = Quantize(l.recipe, pool);
      model::LlamaModel cand(q.checkpoint, pool, 512);
      const eval::EvalResult e = eval::Evaluate(
          {"base", 0, 0, &base, &Tok()}, {l.recipe.name, 0, 0, &cand, &Tok()}, {}, TextOptions());
      kld.push_back(e.distribution->kld_mean);
    }
    return kld;
  }
  static std::string ReadBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  int verdicts_ = 0;
};

TEST_F(AutoSearchTest, PicksTheRungTheThresholdDictates) {
  const std::vector<LadderRung> ladder = Ladder();
  const std::vector<double> kld = IndependentKld(ladder);
  // Thresholds at each rung's own KLD: the answer is the first rung (cheapest) at or below it,
  // which need not be that rung when KLD is not monotone in size.
  for (size_t t : {size_t(1), size_t(3)}) {
    const double limit = kld[t];
    size_t expected = 0;
    while (kld[expected] > limit) ++expected;
    auto run = MakeRun();
    const AutoResult r = AutoSearch(run->ctx, ladder, Options("out" + std::to_string(t)),
                                    Quantizer(run->pool), KldBelow(limit));
    ASSERT_EQ(r.chosen, int(expected)) << "threshold " << limit;
    EXPECT_EQ(r.rungs[expected].label, ladder[expected].recipe.name);
    for (size_t i = 0; i < ladder.size(); ++i) {
      EXPECT_EQ(r.rungs[i].evaluated, i <= expected) << i;
      if (i <= expected) {
        EXPECT_EQ(r.rungs[i].kld, kld[i]) << i;  // same inputs, same bits
      } else {
        EXPECT_EQ(r.rungs[i].status, "not tried");
      }
    }
  }
}

TEST_F(AutoSearchTest, NothingPassesNamesTheLastFailure) {
  auto run = MakeRun();
  const AutoResult r =
      AutoSearch(run->ctx, Ladder(), Options("out"), Quantizer(run->pool), KldBelow(-1));
  EXPECT_EQ(r.chosen, -1);
  EXPECT_NE(r.why.find("f16"), std::string::npos) << r.why;
}

TEST_F(AutoSearchTest, BudgetHoldsOnDiskAndSkipsAreListed) {
  const std::vector<LadderRung> all = Ladder();
  Budget budget;
  budget.kind = BudgetKind::kBytes;
  budget.value = double(all[3].predicted.file_bytes);  // Q2_K .. rung 3 fit
  budget.text = "test budget";
  const std::vector<LadderRung> ladder = Ladder(budget);
  auto run = MakeRun();
  AutoOptions o = Options("out");
  o.budget = budget;
  const AutoResult r = AutoSearch(run->ctx, ladder, o, Quantizer(run->pool), KldBelow(1e9));
  ASSERT_EQ(r.chosen, 0);  // everything passes: the cheapest
  for (size_t i = 4; i < ladder.size(); ++i) {
    EXPECT_EQ(r.rungs[i].status, "skipped") << i;
    EXPECT_NE(r.rungs[i].failing.at(0).find("test budget"), std::string::npos);
  }
  const std::string path = Path("model.gguf");
  const uint64_t bytes = WriteChosenModel(run->ctx, r, o, Quantizer(run->pool), path);
  EXPECT_EQ(bytes, std::filesystem::file_size(path));
  EXPECT_LE(double(bytes), budget.value);
  // Nothing within the budget passes (a limit only f16 meets): no choice, never a skipped rung.
  auto run2 = MakeRun();
  AutoOptions o2 = Options("out3");
  o2.budget = budget;
  const AutoResult cut = AutoSearch(run2->ctx, ladder, o2, Quantizer(run2->pool), KldBelow(1e-12));
  EXPECT_EQ(cut.chosen, -1);
}

// A rung whose prediction fits but whose file does not: measured, refused, never chosen.
TEST_F(AutoSearchTest, FileOverBudgetOnDiskIsNeverChosen) {
  std::vector<LadderRung> ladder = Ladder();
  auto run = MakeRun();
  // Measure the cheapest rung's real size first.
  const AutoResult probe =
      AutoSearch(run->ctx, {ladder[0]}, Options("probe"), Quantizer(run->pool), KldBelow(1e9));
  const uint64_t real = probe.rungs[0].real_bytes;
  ASSERT_GT(real, 0u);
  Budget budget;
  budget.kind = BudgetKind::kBytes;
  budget.value = double(real - 1);
  budget.text = std::to_string(real - 1);
  ladder = Ladder(budget);
  ladder[0].predicted.file_bytes = real - 100;  // a prediction that lies
  ladder[0].over_budget = false;
  AutoOptions o = Options("out");
  o.budget = budget;
  verdicts_ = 0;
  const AutoResult r = AutoSearch(run->ctx, ladder, o, Quantizer(run->pool), KldBelow(1e9));
  EXPECT_EQ(r.rungs[0].status, "over budget on disk");
  EXPECT_EQ(r.rungs[0].real_bytes, real);
  EXPECT_FALSE(r.rungs[0].passed);
  EXPECT_EQ(r.chosen, -1);
  EXPECT_EQ(verdicts_, 0);  // not even evaluated
}

TEST_F(AutoSearchTest, ResumesFromTheCache) {
  const std::vector<LadderRung> ladder = Ladder();
  auto run = MakeRun();
  const AutoOptions o = Options("out");
  const AutoResult first = AutoSearch(run->ctx, ladder, o, Quantizer(run->pool), KldBelow(0.02));
  ASSERT_GE(first.chosen, 0);
  const int evaluated = verdicts_;
  EXPECT_GT(evaluated, 0);
  const std::string path = Path("out/model.gguf");
  WriteChosenModel(run->ctx, first, o, Quantizer(run->pool), path);
  const std::string bytes = ReadBytes(path);
  std::filesystem::remove(path);

  const AutoResult again = AutoSearch(run->ctx, ladder, o, Quantizer(run->pool), KldBelow(0.02));
  EXPECT_EQ(verdicts_, evaluated);  // nothing evaluated again
  EXPECT_EQ(again.chosen, first.chosen);
  for (size_t i = 0; i < again.rungs.size(); ++i) {
    EXPECT_EQ(again.rungs[i].cached, again.rungs[i].evaluated) << i;
    EXPECT_EQ(again.rungs[i].kld, first.rungs[i].kld);
    EXPECT_EQ(again.rungs[i].real_bytes, first.rungs[i].real_bytes);
  }
  WriteChosenModel(run->ctx, again, o, Quantizer(run->pool), path);
  EXPECT_EQ(ReadBytes(path), bytes);
  // Another threshold is another key: evaluated afresh.
  AutoOptions other = o;
  other.settings = "another gate";
  AutoSearch(run->ctx, ladder, other, Quantizer(run->pool), KldBelow(0.02));
  EXPECT_GT(verdicts_, evaluated);
}

TEST_F(AutoSearchTest, SameBytesAtOneAndTwoThreads) {
  const std::vector<LadderRung> ladder = Ladder();
  std::string bytes[2];
  std::vector<RungRecord> rungs[2];
  for (int threads : {1, 2}) {
    auto run = MakeRun(threads);
    const AutoOptions o = Options("out" + std::to_string(threads));
    const AutoResult r = AutoSearch(run->ctx, ladder, o, Quantizer(run->pool), KldBelow(0.02));
    ASSERT_GE(r.chosen, 0);
    const std::string path = Path("model" + std::to_string(threads) + ".gguf");
    WriteChosenModel(run->ctx, r, o, Quantizer(run->pool), path);
    bytes[threads - 1] = ReadBytes(path);
    rungs[threads - 1] = r.rungs;
  }
  EXPECT_EQ(bytes[0], bytes[1]);
  ASSERT_EQ(rungs[0].size(), rungs[1].size());
  for (size_t i = 0; i < rungs[0].size(); ++i) EXPECT_EQ(rungs[0][i].kld, rungs[1][i].kld);
}

TEST_F(AutoSearchTest, RecordJsonRoundTrip) {
  RungRecord r;
  r.label = "Q4_K_M";
  r.stage = "ladder";
  r.recipe_json = quant::RecipeToJson(quant::LoadRecipe("Q4_K_M"));
  r.status = "failed";
  r.real_bytes = 1234;
  r.evaluated = true;
  r.has_text = true;
  r.kld = 0.125;
  r.capabilities = {{"facts", 1.0, 0.5}};
  r.failing = {"facts dropped"};
  const RungRecord back = RungRecordFromJson(RungRecordToJson(r));
  EXPECT_EQ(RungRecordToJson(back), RungRecordToJson(r));
  EXPECT_THROW(RungRecordFromJson(nlohmann::json::object()), Error);
}

// Step 2: thresholds between the last failing rung and the first passing one. Every probe is a
// real evaluation judged by the same verdict; a mixed choice passes and is smaller than the rung.
TEST_F(AutoSearchTest, MixedProbesAreRealAndSmaller) {
  const std::vector<LadderRung> ladder = Ladder();
  auto run = MakeRun();
  AutoOptions o = Options("out");
  o.mixed = true;
  o.sensitivity_chunks = 2;  // the ranking only orders the probes; each probe is a full evaluation
  // Pass at Q4_K_M's KLD: Q3_K_M fails if it is worse.
  const std::vector<double> kld = IndependentKld({ladder[0], ladder[1], ladder[2]});
  ASSERT_GT(kld[1], kld[2]) << "Q3_K_M should be worse than Q4_K_M";
  const double limit = kld[2] + 0.25 * (kld[1] - kld[2]);
  ASSERT_GT(kld[0], limit) << "Q2_K should fail too";
  const AutoResult r = AutoSearch(run->ctx, ladder, o, Quantizer(run->pool), KldBelow(limit));
  ASSERT_TRUE(r.mixed_ran);
  ASSERT_EQ(r.scans.size(), 2u);
  for (const RungRecord& p : r.rungs)
    if (p.stage == "mixed") {
      EXPECT_TRUE(p.evaluated);
      EXPECT_EQ(p.passed, p.kld <= limit) << p.label;
      EXPECT_GT(p.promotions, 0);
    }
  ASSERT_GE(r.chosen, 0);
  const RungRecord& c = r.rungs[r.chosen];
  EXPECT_TRUE(c.passed);
  if (c.stage == "mixed") {
    EXPECT_LT(c.real_bytes, r.rungs[2].real_bytes);
    EXPECT_EQ(c.recipe_json, quant::RecipeToJson(r.chosen_recipe));
  }
}

}  // namespace
}  // namespace qforge::plan
