// Output-distribution shift over the generations of both models: does the candidate answer at a
// different length, stop less often on EOS, abstain more, repeat itself, loop until max_tokens, or
// use a narrower vocabulary? These catch "the quantized model rambles and never stops", which no
// accuracy number shows. Every metric comes with a paired bootstrap interval of its delta.
#pragma once

#include <string>
#include <vector>

#include "qforge/eval/scorer.h"
#include "qforge/eval/stats.h"

namespace qforge::eval {

struct ShiftOptions {
  // Case-insensitive substrings that mark an abstention or refusal.
  std::vector<std::string> abstain_patterns = {
      "i don't know", "i do not know", "not sure", "i cannot", "i can't", "unable to", "as an ai"};
  int repeat_n = 3;    // n-gram length for the repetition rate and loop detection
  int distinct_n = 2;  // n for distinct-n
};

// Per-generation features (tested one by one).
struct GenerationFeatures {
  double length = 0;       // new tokens
  bool eos = false;        // ended on EOS
  bool abstained = false;  // matched an abstention pattern
  double repeat_rate = 0;  // fraction of n-grams that already occurred earlier in the output
  bool loop = false;       // hit max_tokens while repeating (repeat_rate > 0)
};

GenerationFeatures Features(const CaseOutcome& o, const ShiftOptions& options);

// Distinct n-grams / all n-grams over a set of token sequences (0 when there are none).
double DistinctN(const std::vector<const std::vector<int>*>& outputs, int n);

struct ShiftMetric {
  std::string name;  // length_mean, length_median, eos_rate, abstain_rate, repeat_rate,
                     // loop_rate, distinct_n
  double base = 0;
  double cand = 0;
  Interval delta;  // cand - base with its 95% paired bootstrap interval
};

// Over the generate outcomes only (choice outcomes are skipped); base and cand are parallel.
std::vector<ShiftMetric> OutputShift(const std::vector<CaseOutcome>& base,
                                     const std::vector<CaseOutcome>& cand,
                                     const ShiftOptions& options = {},
                                     const BootstrapOptions& bootstrap = {});

}  // namespace qforge::eval
