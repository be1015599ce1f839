// The precision ladder: budget strings, size prediction against files really written, order and
// bad input.
#include "qforge/plan/ladder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "qforge/core/error.h"
#include "qforge/core/thread_pool.h"
#include "qforge/io/gguf_writer.h"
#include "qforge/io/load_checkpoint.h"
#include "qforge/quant/quantize_model.h"
#include "qforge/tokenizer/sentencepiece_tokenizer.h"
#include "support/paths.h"
#include "support/temp_dir.h"

namespace qforge::plan {
namespace {

using test::Shared;

TEST(BudgetTest, Units) {
  EXPECT_EQ(ParseBudget("4GB").value, 4e9);
  EXPECT_EQ(ParseBudget("700MB").value, 7e8);
  EXPECT_EQ(ParseBudget("700mb").value, 7e8);
  EXPECT_EQ(ParseBudget("1.5kB").value, 1500);
  EXPECT_EQ(ParseBudget("3.9GiB").value, std::floor(3.9 * 1073741824.0));
  EXPECT_EQ(ParseBudget("512KiB").value, 524288);
  EXPECT_EQ(ParseBudget("123456").value, 123456);
  EXPECT_EQ(ParseBudget("123456B").value, 123456);
  EXPECT_EQ(ParseBudget("123456").kind, BudgetKind::kBytes);
  const Budget b = ParseBudget("4.5bpw");
  EXPECT_EQ(b.kind, BudgetKind::kBitsPerWeight);
  EXPECT_EQ(b.value, 4.5);
}

TEST(BudgetTest, BadStrings) {
  for (const char* s :
       {"", "GB", "-1GB", "4XB", "0", "0.1", "4 GB", "40bpw", "nanGB", "inf", "4GBB"})
    EXPECT_THROW(ParseBudget(s), Error) << s;
}

TEST(BudgetTest, Fits) {
  EXPECT_TRUE(FitsBudget(Budget{}, 1ull << 40, 32));
  EXPECT_TRUE(FitsBudget(ParseBudget("1000"), 1000, 32));
  EXPECT_FALSE(FitsBudget(ParseBudget("1000"), 1001, 1));
  EXPECT_TRUE(FitsBudget(ParseBudget("4.5bpw"), 1ull << 40, 4.5));
  EXPECT_FALSE(FitsBudget(ParseBudget("4.5bpw"), 1, 4.51));
}

TEST(LadderTest, SplitLadder) {
  EXPECT_EQ(SplitLadder("Q4_K_M"), std::vector<std::string>({"Q4_K_M"}));
  EXPECT_EQ(SplitLadder("Q2_K,f16"), std::vector<std::string>({"Q2_K", "f16"}));
  EXPECT_THROW(SplitLadder("Q2_K,,f16"), Error);
  EXPECT_THROW(SplitLadder(""), Error);
  EXPECT_THROW(SplitLadder("Q2_K,"), Error);
}

class PredictTest : public test::TempDirTest {
 protected:
  static const Checkpoint& Testbed() {
    static const Checkpoint c = io::LoadCheckpoint(Shared("models/testbed/testbed.bin"));
    return c;
  }
  static const Vocab& TestbedVocab() {
    static const Vocab v =
        tokenizer::SentencePieceTokenizer(Shared("models/testbed/tokenizer.model")).ToVocab();
    return v;
  }
};

// Tensor bytes are exact (the quantized checkpoint's); the header estimate is an upper bound of
// the real header, loose by at most its stated allowances: 4 KiB fixed + 31 bytes of padding per
// tensor and after the header.
TEST_F(PredictTest, MatchesWrittenFiles) {
  ThreadPool pool(2);
  const Checkpoint& ckpt = Testbed();
  io::GgufWriteOptions write;
  write.matrix_type = std::nullopt;
  write.extra_kvs = {{"qforge.version", "test"}};
  const uint64_t extra = 8 + 14 + 4 + 8 + 4;
  for (const char* name : {"Q2_K", "Q3_K_M", "Q4_K_M", "Q6_K", "Q8_0", "f16"}) {
    const quant::Recipe recipe = quant::LoadRecipe(name);
    const SizePrediction p = PredictSize(recipe, ckpt, TestbedVocab(), extra);
    quant::QuantizeOptions qo;
    qo.measure_error = false;
    const quant::QuantizedModel q = quant::QuantizeCheckpoint(ckpt, recipe, pool, qo);
    EXPECT_EQ(p.tensor_bytes, q.checkpoint.WeightBytes()) << name;
    EXPECT_EQ(p.parameters, ckpt.ParameterCount());
    EXPECT_DOUBLE_EQ(p.bpw, 8.0 * double(p.tensor_bytes) / double(p.parameters));
    io::GgufWriteOptions w = write;
    w.extra_kvs.emplace_back("qforge.recipe", quant::RecipeToJson(recipe));
    const std::string path = Path(std::string(name) + ".gguf");
    io::WriteGgufCheckpoint(q.checkpoint, TestbedVocab(), path, w);
    const uint64_t real = std::filesystem::file_size(path);
    EXPECT_GE(p.file_bytes, real) << name;
    EXPECT_LE(p.file_bytes, real + 4096 + 31 * (ckpt.tensors.size() + 1)) << name;
  }
}

TEST_F(PredictTest, RefusesTypesGgufCannotHold) {
  EXPECT_THROW(PredictSize(quant::LoadRecipe("int8"), Testbed(), TestbedVocab(), 0), Error);
  EXPECT_THROW(PredictSize(quant::LoadRecipe("nf4"), Testbed(), TestbedVocab(), 0), Error);
}

TEST_F(PredictTest, LadderCheapestFirstWithBudget) {
  const std::vector<std::string> names = {"f16", "Q4_K_M", "Q2_K", "Q8_0", "Q3_K_M"};
  const std::vector<LadderRung> all =
      BuildLadder(names, Testbed(), TestbedVocab(), Budget{}, false, 0);
  ASSERT_EQ(all.size(), 5u);
  const std::vector<std::string> order = {"Q2_K", "Q3_K_M", "Q4_K_M", "Q8_0", "f16"};
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].recipe.name, order[i]);
    EXPECT_FALSE(all[i].over_budget);
    if (i) {
      EXPECT_LT(all[i - 1].predicted.file_bytes, all[i].predicted.file_bytes);
    }
  }
  // A budget between Q4_K_M and Q8_0 marks the two largest as over budget.
  Budget b;
  b.kind = BudgetKind::kBytes;
  b.value = double(all[2].predicted.file_bytes);
  const std::vector<LadderRung> cut = BuildLadder(names, Testbed(), TestbedVocab(), b, false, 0);
  for (size_t i = 0; i < cut.size(); ++i) EXPECT_EQ(cut[i].over_budget, i >= 3) << i;
  // Bits per weight: 5 bpw lets Q4_K_M (4.89) in, not Q8_0 (8.5).
  const std::vector<LadderRung> bpw =
      BuildLadder(names, Testbed(), TestbedVocab(), ParseBudget("5bpw"), false, 0);
  for (size_t i = 0; i < bpw.size(); ++i) EXPECT_EQ(bpw[i].over_budget, i >= 3) << i;
}

TEST_F(PredictTest, BadLadders) {
  EXPECT_THROW(BuildLadder({"Q4_K_M", "Q9_K"}, Testbed(), TestbedVocab(), {}, false, 0), Error);
  EXPECT_THROW(BuildLadder({"Q4_K_M", "q4_k_m"}, Testbed(), TestbedVocab(), {}, false, 0), Error);
  EXPECT_THROW(BuildLadder({"gptq-q4_0"}, Testbed(), TestbedVocab(), {}, false, 0), Error);
  EXPECT_THROW(BuildLadder({"int8"}, Testbed(), TestbedVocab(), {}, false, 0), Error);
  EXPECT_THROW(BuildLadder({}, Testbed(), TestbedVocab(), {}, false, 0), Error);
  EXPECT_NO_THROW(BuildLadder({"gptq-q4_0"}, Testbed(), TestbedVocab(), {}, true, 0));
}

TEST(LadderTest, DefaultLadder) {
  EXPECT_EQ(DefaultLadder(false), std::vector<std::string>({"Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M",
                                                            "Q6_K", "Q8_0", "f16"}));
  EXPECT_EQ(DefaultLadder(true).size(), 8u);
}

}  // namespace
}  // namespace qforge::plan
