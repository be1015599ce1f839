// A small synthetic evaluation (no model run): 20 factual cases and 20 arithmetic cases of which
// the candidate loses `lost` arithmetic ones, plus a text comparison, turned into a report.
#pragma once

#include <nlohmann/json.hpp>

#include "qforge/eval/evaluate.h"
#include "qforge/report/report_json.h"

namespace qforge::test {

inline eval::EvalResult SyntheticResult(int lost) {
  eval::EvalResult r;
  r.base_path = "base.gguf";
  r.cand_path = "cand.gguf";
  r.base_hash = 1;
  r.cand_hash = 2;
  r.base_bytes = 13000000;
  r.cand_bytes = 1300000;
  for (int i = 0; i < 40; ++i) {
    eval::SuiteCase c;
    c.id = "c" + std::to_string(i);
    c.capability = i < 20 ? "factual" : "arithmetic";
    c.prompt = "Q: <" + std::to_string(i) + "> & \"x\"\nA:";  // needs escaping in HTML/XML
    c.answer = "42";
    eval::CaseOutcome b, k;
    b.id = k.id = c.id;
    b.correct = true;
    b.output = " 42";
    b.output_ids = {5, 6};
    b.hit_eos = true;
    k = b;
    if (i >= 20 && i < 20 + lost) {
      k.correct = false;
      k.output = " 41 41 41";
      k.output_ids = {5, 7, 5, 7, 5, 7};
      k.hit_eos = false;
      k.hit_max_tokens = true;
    }
    r.cases.push_back(c);
    r.base_outcomes.push_back(b);
    r.cand_outcomes.push_back(k);
  }
  r.suites.push_back({"mixed", "mixed.jsonl", 3, 40, false});
  r.capabilities = eval::CompareCapabilities(r.cases, r.base_outcomes, r.cand_outcomes);
  r.shift = eval::OutputShift(r.base_outcomes, r.cand_outcomes);
  eval::DistributionStats stats;
  for (int i = 0; i < 200; ++i) {
    eval::TokenComparison t;
    t.nll_base = 2.0 + 0.01 * (i % 7);
    t.nll_cand = t.nll_base + 0.001 * lost * (i % 3);
    t.kld = 1e-4 * (1 + lost) * (1 + i % 5);
    t.p_diff = 0.001 * ((i % 3) - 1);
    t.same_top = i % 50 != 0;
    stats.Add(t);
  }
  r.distribution = stats.Summarize();
  r.distribution->chunks = 2;
  r.tokens_text = 256;
  r.seconds_text = 0.5;
  return r;
}

inline nlohmann::json SyntheticReport(int lost) {
  report::ReportContext ctx;
  ctx.qforge_version = "test";
  ctx.n_ctx = 256;
  return report::BuildReport(SyntheticResult(lost), eval::EvalOptions{}, ctx);
}

}  // namespace qforge::test
