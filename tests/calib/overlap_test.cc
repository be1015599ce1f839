// The leakage check: n-grams shared by calibration and eval data, normalized as
// lm-evaluation-harness's janitor.py (lowercase, ASCII punctuation deleted, whitespace split).
#include "qforge/calib/overlap.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "qforge/core/error.h"
#include "qforge/io/mapped_file.h"
#include "support/paths.h"

namespace qforge::calib {
namespace {
using ::testing::ElementsAre;

// 20 distinct words: n-grams of it never repeat, so counts are exact arithmetic.
constexpr const char* kTwenty =
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty";

TEST(Overlap, NormalizationMatchesJanitor) {
  // janitor.py: str.translate lowercases A-Z and deletes string.punctuation, then split().
  EXPECT_THAT(NormalizedWords("  Hello, World!  It's \"fine\"...\n--- ok-ay\t"),
              ElementsAre("hello", "world", "its", "fine", "okay"));
}

TEST(Overlap, CaseAndPunctuationDoNotHideOverlap) {
  const std::string eval =
      "One, two; THREE four five six seven eight nine ten eleven twelve thirteen!";
  const OverlapReport r =
      CheckOverlap({{"c", kTwenty}}, {{"e", eval}}, {.n = 13, .max_spans_per_item = 8});
  EXPECT_EQ(r.eval_ngrams, 1);
  EXPECT_EQ(r.overlapping, 1);
  ASSERT_EQ(r.contaminated.size(), 1u);
  ASSERT_EQ(r.contaminated[0].spans.size(), 1u);
  EXPECT_EQ(r.contaminated[0].spans[0].text, eval);  // the original words, not the normalized ones
}

TEST(Overlap, IdenticalTextOverlapsFully) {
  const std::string text = io::ReadTextFile(test::Shared("models/testbed/heldout.txt"));
  const std::vector<OverlapDoc> docs = SplitParagraphs(text, "heldout.txt");
  const OverlapReport r = CheckOverlap(docs, docs);
  EXPECT_GT(r.eval_ngrams, 0);
  EXPECT_EQ(r.overlapping, r.eval_ngrams);
  EXPECT_DOUBLE_EQ(r.fraction, 1.0);
  // Every paragraph long enough for a 13-gram is contaminated, as one span that is the whole
  // paragraph (its words joined by single spaces).
  ASSERT_FALSE(r.contaminated.empty());
  for (const OverlapItem& item : r.contaminated) {
    ASSERT_EQ(item.spans.size(), 1u) << item.id;
    EXPECT_EQ(item.spans[0].first_word, 0);
    EXPECT_EQ(item.spans[0].words, item.ngrams + 12);
  }
  const OverlapItem& first = r.contaminated[0];
  std::string joined;
  for (const std::string& w : NormalizedWords(docs[0].text))
    joined += (joined.empty() ? "" : " ") + w;
  std::string span_norm;
  for (const std::string& w : NormalizedWords(first.spans[0].text))
    span_norm += (span_norm.empty() ? "" : " ") + w;
  EXPECT_EQ(span_norm, joined);
  EXPECT_EQ(first.id, "heldout.txt:1");
}

TEST(Overlap, DisjointTestBedFilesShareNoThirteenGram) {
  // Reference numbers from janitor.py's normalization applied in Python to the same paragraphs:
  // 13746 distinct calibration 13-grams, 10580 held-out 13-gram positions, none shared (the test
  // bed README says the two files are disjoint TinyStories stories).
  const auto calib =
      SplitParagraphs(io::ReadTextFile(test::Shared("models/testbed/calib.txt")), "calib.txt");
  const auto heldout =
      SplitParagraphs(io::ReadTextFile(test::Shared("models/testbed/heldout.txt")), "heldout.txt");
  const OverlapReport r = CheckOverlap(calib, heldout);
  EXPECT_EQ(r.calib_ngrams, 13746);
  EXPECT_EQ(r.eval_ngrams, 10580);
  EXPECT_EQ(r.overlapping, 0);
  EXPECT_EQ(r.fraction, 0.0);
  EXPECT_TRUE(r.contaminated.empty());
}

TEST(Overlap, WorkedExampleCountsAndMergesRuns) {
  // Eval = words 1..15 of kTwenty, "x", words 5..17, "y": 30 words, so 18 13-gram positions.
  // Hits: positions 0..2 (inside words 1..15) and 16 (words 5..17); the 13 positions covering "x"
  // and the last one covering "y" miss. So 4 overlap, in two spans: words [0, 15) and [16, 29).
  const std::string eval =
      "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen x "
      "five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen y";
  const OverlapReport r = CheckOverlap({{"c", kTwenty}}, {{"e", eval}, {"clean", "a b c"}});
  EXPECT_EQ(r.calib_ngrams, 8);  // 20 words -> 8 distinct 13-grams
  EXPECT_EQ(r.eval_ngrams, 18);  // "a b c" is shorter than 13 words: no n-gram
  EXPECT_EQ(r.overlapping, 4);
  EXPECT_DOUBLE_EQ(r.fraction, 4.0 / 18.0);
  ASSERT_EQ(r.contaminated.size(), 1u);
  const OverlapItem& item = r.contaminated[0];
  EXPECT_EQ(item.id, "e");
  ASSERT_EQ(item.spans.size(), 2u);
  EXPECT_EQ(item.spans[0].first_word, 0);
  EXPECT_EQ(item.spans[0].words, 15);
  EXPECT_EQ(item.spans[1].first_word, 16);
  EXPECT_EQ(item.spans[1].words, 13);
  EXPECT_EQ(item.spans[1].text,
            "five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
            "seventeen");
}

TEST(Overlap, SpansAreCapped) {
  // Two-word n-grams, alternating hit/miss: many separate runs, only max_spans_per_item kept.
  std::string eval;
  for (int i = 0; i < 20; ++i) eval += "one two zz ";
  const OverlapReport r =
      CheckOverlap({{"c", "one two"}}, {{"e", eval}}, {.n = 2, .max_spans_per_item = 3});
  ASSERT_EQ(r.contaminated.size(), 1u);
  EXPECT_EQ(r.contaminated[0].overlapping, 20);
  EXPECT_EQ(r.contaminated[0].spans.size(), 3u);
}

TEST(Overlap, ParagraphsAndJsonl) {
  const auto paras = SplitParagraphs("a b\nc\n\n  \nd e\n", "f.txt");
  ASSERT_EQ(paras.size(), 2u);
  EXPECT_EQ(paras[0].id, "f.txt:1");
  EXPECT_EQ(paras[1].id, "f.txt:5");
  EXPECT_EQ(paras[1].text, "d e\n");
  const auto lines =
      ParseTextJsonl("{\"text\":\"hi\",\"src\":1}\n\n{\"text\":\"yo\"}\n", "c.jsonl");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1].id, "c.jsonl:3");
  EXPECT_EQ(lines[1].text, "yo");
}

TEST(Overlap, BadInputIsInvalidInput) {
  EXPECT_THROW(ParseTextJsonl("{\"text\":1}\n", "c.jsonl"), Error);
  EXPECT_THROW(ParseTextJsonl("not json\n", "c.jsonl"), Error);
  EXPECT_THROW(CheckOverlap({}, {}, {.n = 0}), Error);
  EXPECT_THROW(LoadOverlapDocs("/nonexistent/calib.txt"), Error);
}

}  // namespace
}  // namespace qforge::calib
