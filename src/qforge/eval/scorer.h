// Runs suite cases on one model: greedy generation scored by a match rule, or multiple choice
// scored by summed log-likelihood (lm-evaluation-harness's loglikelihood protocol).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "qforge/eval/suites.h"
#include "qforge/model/llama_model.h"
#include "qforge/tokenizer/tokenizer.h"

namespace qforge::eval {

struct CaseOutcome {
  std::string id;
  bool correct = false;
  // generate
  std::string output;           // decoded new text, cut before the first stop string
  std::vector<int> output_ids;  // the new tokens (EOS excluded)
  bool hit_eos = false;
  bool hit_max_tokens = false;  // stopped only because max_tokens ran out
  // choice
  std::vector<double> logliks;  // summed log-likelihood of each choice's tokens
  int predicted = -1;           // argmax loglik (acc)
  int predicted_norm = -1;      // argmax loglik / UTF-8 byte length of the choice (acc_norm)
  bool correct_norm = false;
};

// Whether a generation matches: exact compares the first line of the output, whitespace-stripped,
// with the answer (the reference scorer's rule); contains looks for the answer anywhere; regex
// searches (ECMAScript); numeric compares the first number in the output with the answer's value.
bool MatchAnswer(MatchKind match, const std::string& output, const std::string& answer);

// Index of the largest value, the first on ties.
int ArgMax(const std::vector<double>& values);

class CaseScorer {
 public:
  CaseScorer(model::LlamaModel& model, const tokenizer::Tokenizer& tokenizer);
  // Throws Error{kInvalidInput} naming the case when its prompt does not fit the context.
  CaseOutcome Run(const SuiteCase& c);

 private:
  CaseOutcome RunGenerate(const SuiteCase& c);
  CaseOutcome RunChoice(const SuiteCase& c);
  // Sum of log p(tokens[i] | tokens[:i]) for i >= from, given logits rows from-1 .. n-2.
  double ContinuationLogLik(const std::vector<int>& tokens, size_t from);

  model::LlamaModel& model_;
  const tokenizer::Tokenizer& tok_;
  std::vector<float> logits_;
};

// Runs every case, calling on_case(done) after each.
std::vector<CaseOutcome> RunSuite(model::LlamaModel& model, const tokenizer::Tokenizer& tokenizer,
                                  const Suite& suite,
                                  const std::function<void(size_t)>& on_case = {});

}  // namespace qforge::eval
