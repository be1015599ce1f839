// The sensitivity scan's JSON (round trip, malformed input) and HTML (chart bars in rank order,
// escaping, kept tensors, the cost line).
#include <gtest/gtest.h>

#include "qforge/core/error.h"
#include "qforge/report/sensitivity_html.h"
#include "qforge/report/sensitivity_json.h"

namespace qforge {
namespace {

plan::SensitivityResult Sample() {
  plan::SensitivityResult r;
  r.recipe = "Q4_K_M";
  r.n_ctx = 256;
  r.chunks = 8;
  r.scored_tokens = 1016;
  r.ppl_base = 3.25;
  r.forward_passes = 8 * 3;
  r.seconds = 1.5;
  r.baseline_bytes = 8 * 127 * 512 * 4;
  plan::TensorSensitivity a{"blk.0.ffn_down.weight",
                            QType::kF32,
                            QType::kQ6_K,
                            786432,
                            161280,
                            0.0123,
                            0.0004,
                            1.011,
                            0.98,
                            true};
  plan::TensorSensitivity b{"blk.1.attn_q<x>",
                            QType::kF32,
                            QType::kQ4_K,
                            262144,
                            36864,
                            0.001,
                            0.0001,
                            1.001,
                            0.995,
                            true};
  plan::TensorSensitivity c{
      "blk.2.attn_k.weight", QType::kF32, QType::kF32, 131072, 131072, 0, 0, 1, 1, false};
  r.tensors = {a, b, c};
  return r;
}

TEST(SensitivityJson, RoundTripsEveryField) {
  const plan::SensitivityResult r = Sample();
  const nlohmann::json j = report::SensitivityToJson(r);
  EXPECT_EQ(j["tensors"][0]["rank"], 1);
  EXPECT_EQ(j["tensors"][1]["type"], "Q4_K");
  // Through text: nlohmann prints doubles with enough digits to read back the same value.
  const plan::SensitivityResult back =
      report::SensitivityFromJson(nlohmann::json::parse(j.dump()), "test");
  EXPECT_EQ(back.recipe, r.recipe);
  EXPECT_EQ(back.forward_passes, r.forward_passes);
  EXPECT_EQ(back.baseline_bytes, r.baseline_bytes);
  EXPECT_EQ(back.ppl_base, r.ppl_base);
  ASSERT_EQ(back.tensors.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(back.tensors[i].name, r.tensors[i].name);
    EXPECT_EQ(back.tensors[i].source, r.tensors[i].source);
    EXPECT_EQ(back.tensors[i].type, r.tensors[i].type);
    EXPECT_EQ(back.tensors[i].bytes_type, r.tensors[i].bytes_type);
    EXPECT_EQ(back.tensors[i].kld_mean, r.tensors[i].kld_mean);
    EXPECT_EQ(back.tensors[i].kld_unc, r.tensors[i].kld_unc);
    EXPECT_EQ(back.tensors[i].same_top, r.tensors[i].same_top);
    EXPECT_EQ(back.tensors[i].scanned, r.tensors[i].scanned);
  }
}

TEST(SensitivityJson, MalformedInputIsAClearError) {
  nlohmann::json j = report::SensitivityToJson(Sample());
  j["tensors"][0]["type"] = "Q9_Z";
  EXPECT_THROW(report::SensitivityFromJson(j, "x.json"), Error);
  j = report::SensitivityToJson(Sample());
  j["tensors"][1].erase("kld_mean");
  try {
    report::SensitivityFromJson(j, "x.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_NE(std::string(e.what()).find("x.json"), std::string::npos);
  }
  EXPECT_THROW(report::SensitivityFromJson(nlohmann::json{{"kind", "other"}}, "x.json"), Error);
}

TEST(SensitivityHtml, ChartHasOneBarPerTensorInRankOrderAndEscapes) {
  const std::string svg = report::SensitivityChartSvg(Sample());
  size_t bars = 0;
  for (size_t p = svg.find("class=\"bar\""); p != std::string::npos;
       p = svg.find("class=\"bar\"", p + 1))
    ++bars;
  EXPECT_EQ(bars, 3u);
  EXPECT_LT(svg.find("blk.0.ffn_down.weight"), svg.find("blk.1.attn_q&lt;x&gt;"));
  EXPECT_EQ(svg.find("attn_q<x>"), std::string::npos);
  EXPECT_NE(svg.find(">kept<"), std::string::npos);
  EXPECT_NE(svg.find("Q6_K"), std::string::npos);  // legend
  // The longest bar (rank 1) spans the plot up to its whisker's end: 0.0123 / 0.0127 of 420 px.
  EXPECT_NE(svg.find(fmt::format("width=\"{:.1f}\"", 420 * 0.0123 / 0.0127)), std::string::npos);
  const std::string one = report::SensitivityChartSvg(Sample(), 1);
  EXPECT_NE(one.find("2 more tensors not shown"), std::string::npos);
}

TEST(SensitivityHtml, PageHasTheCostTableAndNote) {
  plan::SensitivityResult r = Sample();
  r.note = "recipe 'x' names method gptq";
  const std::string page = report::SensitivityHtmlPage(r, "model.gguf");
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(page.find("24 forward passes (8 chunks x (2 + 1) runs)"), std::string::npos);
  EXPECT_NE(page.find("method gptq"), std::string::npos);
  EXPECT_NE(page.find("F32 -&gt; F32 (kept)"), std::string::npos);
  EXPECT_NE(page.find("</html>"), std::string::npos);
}

}  // namespace
}  // namespace qforge
