// Suite parsing (errors name the line and field), match rules, and the f32 test-bed model's
// scores against the reference (reference/testbed/suite_scores.json: 1.0 on every suite).
#include "qforge/eval/suites.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "eval/testbed.h"
#include "qforge/core/error.h"
#include "qforge/eval/scorer.h"
#include "support/reference.h"

namespace qforge {
namespace {
using ::testing::HasSubstr;

std::string ErrorOf(const std::string& text) {
  try {
    eval::ParseSuite(text, "s.jsonl");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    return e.what();
  }
  return "no error";
}

TEST(SuiteParse, ReadsBothKinds) {
  const auto s = eval::ParseSuite(
      R"({"id":"a","kind":"generate","prompt":"Q","answer":"x","max_tokens":4,"stop":["\n"]})"
      "\n\n"
      R"({"id":"b","capability":"r","kind":"choice","prompt":"P","choices":[" y"," n"],"answer":1,"fewshot":"F"})",
      "dir/s.jsonl");
  ASSERT_EQ(s.cases.size(), 2u);
  EXPECT_EQ(s.name, "s");
  EXPECT_EQ(s.cases[0].capability, "s");  // default: the file name
  EXPECT_EQ(s.cases[0].max_tokens, 4);
  EXPECT_EQ(s.cases[0].match, eval::MatchKind::kExact);
  EXPECT_EQ(s.cases[1].answer_index, 1);
  EXPECT_EQ(s.cases[1].fewshot, "F");
  // Round trip through the writer.
  const auto back = eval::ParseSuiteCase(eval::SuiteCaseToJson(s.cases[1]), "x", "");
  EXPECT_EQ(back.choices, s.cases[1].choices);
  EXPECT_EQ(back.answer_index, 1);
}

TEST(SuiteParse, ErrorsNameLineAndField) {
  EXPECT_THAT(ErrorOf("{\"id\":\"a\",\"kind\":\"generate\",\"prompt\":\"Q\",\"answer\":\"x\"}\n{"),
              HasSubstr("s.jsonl:2: not valid JSON"));
  EXPECT_THAT(ErrorOf(R"({"kind":"generate","prompt":"Q","answer":"x"})"),
              HasSubstr("s.jsonl:1: missing field \"id\""));
  EXPECT_THAT(ErrorOf(R"({"id":"a","kind":"gen","prompt":"Q","answer":"x"})"),
              HasSubstr("field \"kind\" is \"gen\""));
  EXPECT_THAT(ErrorOf(R"({"id":"a","kind":"choice","prompt":"Q","choices":["a","b"],"answer":2})"),
              HasSubstr("field \"answer\" is 2, outside 0..1"));
  EXPECT_THAT(ErrorOf(R"({"id":"a","kind":"generate","prompt":"Q","answer":"x","matc":"exact"})"),
              HasSubstr("unknown field \"matc\""));
  EXPECT_THAT(ErrorOf(R"({"id":"a","kind":"generate","prompt":"Q","answer":"x","max_tokens":0})"),
              HasSubstr("field \"max_tokens\""));
  EXPECT_THAT(ErrorOf(R"({"id":"a","kind":"generate","prompt":"Q","answer":"(","match":"regex"})"),
              HasSubstr("not a valid regex"));
  // A regex of 600 nested groups would need a deep recursion to compile: refused by length.
  EXPECT_THAT(ErrorOf(R"({"id":"a","kind":"generate","prompt":"Q","match":"regex","answer":")" +
                      std::string(300, '(') + std::string(300, ')') + "\"}"),
              HasSubstr("regex of 600 characters (at most 512)"));
  EXPECT_THAT(ErrorOf(R"({"id":"a","kind":"generate","prompt":3,"answer":"x"})"),
              HasSubstr("field \"prompt\" must be a string"));
  const std::string two = R"({"id":"a","kind":"generate","prompt":"Q","answer":"x"})";
  EXPECT_THAT(ErrorOf(two + "\n" + two), HasSubstr("s.jsonl:2: duplicate id \"a\""));
  EXPECT_THAT(ErrorOf("\n \n"), HasSubstr("no cases"));
}

TEST(MatchAnswer, Rules) {
  using eval::MatchKind;
  EXPECT_TRUE(eval::MatchAnswer(MatchKind::kExact, " Paris\nmore", "Paris"));
  EXPECT_FALSE(eval::MatchAnswer(MatchKind::kExact, " Paris is", "Paris"));
  EXPECT_TRUE(eval::MatchAnswer(MatchKind::kContains, "It is Paris.", "Paris"));
  EXPECT_TRUE(eval::MatchAnswer(MatchKind::kRegex, "x = 42", "\\d+"));
  EXPECT_TRUE(eval::MatchAnswer(MatchKind::kNumeric, " 42.0 apples", "42"));
  EXPECT_FALSE(eval::MatchAnswer(MatchKind::kNumeric, " 41", "42"));
  EXPECT_FALSE(eval::MatchAnswer(MatchKind::kNumeric, " none", "42"));
}

// The first `n` cases of a shared suite (a subset keeps the test within a few seconds).
eval::Suite Subset(const std::string& name, size_t n) {
  eval::Suite s = eval::LoadSuite(test::Shared("models/testbed/suites/" + name + ".jsonl"));
  if (s.cases.size() > n) s.cases.resize(n);
  return s;
}

class TestbedSuite : public ::testing::TestWithParam<const char*> {};

TEST_P(TestbedSuite, F32ScoresLikeTheReference) {
  const auto ref = test::ReadJson(test::Shared("reference/testbed/suite_scores.json"));
  // Choice cases cost one forward pass per choice: a smaller subset keeps the time alike.
  const eval::Suite suite = Subset(GetParam(), std::string(GetParam()) == "facts_choice" ? 12 : 25);
  const auto outcomes = eval::RunSuite(test::TestbedF32().model, test::TestbedTokenizer(), suite);
  int right = 0;
  for (size_t i = 0; i < outcomes.size(); ++i) {
    right += outcomes[i].correct;
    EXPECT_TRUE(outcomes[i].correct) << suite.cases[i].id << ": got \"" << outcomes[i].output
                                     << "\", want \"" << suite.cases[i].answer << "\"";
  }
  EXPECT_DOUBLE_EQ(double(right) / double(outcomes.size()),
                   ref["accuracy"][GetParam()].get<double>());
}

INSTANTIATE_TEST_SUITE_P(Suites, TestbedSuite,
                         ::testing::Values("facts", "arithmetic", "facts_choice"));

TEST(Scorer, ChoiceLogLikelihoodAndNormalisation) {
  eval::SuiteCase c;
  c.id = "c";
  c.kind = eval::CaseKind::kChoice;
  c.prompt = "The capital of Stounlek is ";  // trailing space moves into the continuation
  c.choices = {"Pobrus", "Veinbe"};
  c.answer_index = 1;
  eval::CaseScorer scorer(test::TestbedF32().model, test::TestbedTokenizer());
  const eval::CaseOutcome o = scorer.Run(c);
  ASSERT_EQ(o.logliks.size(), 2u);
  EXPECT_LT(o.logliks[0], 0);
  EXPECT_EQ(o.predicted, 1);
  EXPECT_TRUE(o.correct);
  // The same case without the trailing space scores the same log-likelihoods (harness rule).
  c.prompt = "The capital of Stounlek is";
  c.choices = {" Pobrus", " Veinbe"};
  const eval::CaseOutcome o2 = scorer.Run(c);
  EXPECT_DOUBLE_EQ(o.logliks[0], o2.logliks[0]);
  EXPECT_DOUBLE_EQ(o.logliks[1], o2.logliks[1]);
}

TEST(Scorer, PromptLongerThanTheContextIsAnError) {
  eval::SuiteCase c;
  c.id = "long";
  c.prompt = std::string(4000, 'a');
  c.answer = "x";
  eval::CaseScorer scorer(test::TestbedF32().model, test::TestbedTokenizer());
  try {
    scorer.Run(c);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("case \"long\""));
  }
}

}  // namespace
}  // namespace qforge
