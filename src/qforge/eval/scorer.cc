// Generation and log-likelihood scoring of suite cases.
#include "qforge/eval/scorer.h"

#include <cmath>
#include <regex>

#include "qforge/core/error.h"
#include "qforge/eval/perplexity.h"
#include "qforge/model/generate.h"

namespace qforge::eval {
namespace {

std::string Strip(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  const size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

bool FirstNumber(const std::string& s, double& value) {
  static const std::regex number(R"([-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?)");
  std::smatch m;
  if (!std::regex_search(s, m, number)) return false;
  value = std::stod(m.str());
  return true;
}

void CheckFits(const SuiteCase& c, size_t tokens, int context) {
  if (tokens >= size_t(context))
    Fail(ErrorKind::kInvalidInput, "case \"{}\": the prompt has {} tokens, the context holds {}",
         c.id, tokens, context);
}

}  // namespace

bool MatchAnswer(MatchKind match, const std::string& output, const std::string& answer) {
  switch (match) {
    case MatchKind::kExact: {
      const std::string stripped = Strip(output);
      return stripped.substr(0, stripped.find('\n')) == Strip(answer);
    }
    case MatchKind::kContains:
      return output.find(answer) != std::string::npos;
    case MatchKind::kRegex:
      return std::regex_search(output, std::regex(answer));
    case MatchKind::kNumeric: {
      double got, want;
      if (!FirstNumber(output, got) || !FirstNumber(answer, want)) return false;
      return std::abs(got - want) <= 1e-9 * std::max(1.0, std::abs(want));
    }
  }
  return false;
}

int ArgMax(const std::vector<double>& values) {
  int best = 0;
  for (size_t i = 1; i < values.size(); ++i)
    if (values[i] > values[size_t(best)]) best = int(i);
  return best;
}

CaseScorer::CaseScorer(model::LlamaModel& model, const tokenizer::Tokenizer& tokenizer)
    : model_(model), tok_(tokenizer) {}

CaseOutcome CaseScorer::Run(const SuiteCase& c) {
  return c.kind == CaseKind::kGenerate ? RunGenerate(c) : RunChoice(c);
}

CaseOutcome CaseScorer::RunGenerate(const SuiteCase& c) {
  const std::vector<int> prompt = tok_.Encode(c.fewshot + c.prompt, /*add_bos=*/true);
  CheckFits(c, prompt.size(), model_.max_context());
  model::GenerateOptions options;
  options.max_new_tokens = c.max_tokens;
  options.eos_id = tok_.eos_id();
  CaseOutcome out;
  out.id = c.id;
  bool stopped = false;
  const auto result = model::Generate(model_, prompt, options, [&](int id) {
    out.output += tok_.DecodeToken(id);
    for (const std::string& s : c.stop) {
      const size_t at = out.output.find(s);
      if (at != std::string::npos) {
        out.output.resize(at);
        stopped = true;
      }
    }
    return !stopped;
  });
  out.output_ids = result.tokens;
  out.hit_eos = result.hit_eos;
  out.hit_max_tokens = !stopped && !result.hit_eos && int(result.tokens.size()) >= c.max_tokens;
  out.correct = MatchAnswer(c.match, out.output, c.answer);
  return out;
}

double CaseScorer::ContinuationLogLik(const std::vector<int>& tokens, size_t from) {
  const int vocab = model_.config().vocab_size;
  // Rows from-1 .. n-1; row r predicts tokens[from + r], the last row is not needed.
  const size_t rows = tokens.size() - from + 1;
  logits_.resize(rows * size_t(vocab));
  // A fresh cache per choice: the shared prefix is recomputed, which keeps the code simple and the
  // result independent of the order of the choices.
  model::KvCache cache = model_.NewCache(int(tokens.size()));
  model_.Forward(tokens, 0, cache, int(from) - 1, logits_.data());
  double sum = 0;
  for (size_t r = 0; from + r < tokens.size(); ++r)
    sum -= TokenNll({&logits_[r * size_t(vocab)], size_t(vocab)}, tokens[from + r]);
  return sum;
}

CaseOutcome CaseScorer::RunChoice(const SuiteCase& c) {
  // lm-evaluation-harness: a trailing space of the context moves to the continuation; the context
  // and context+continuation are tokenized whole and the continuation is what follows the
  // context's tokens.
  std::string context = c.fewshot + c.prompt;
  std::string carry;
  while (!context.empty() && context.back() == ' ') {
    carry += ' ';
    context.pop_back();
  }
  const size_t n_ctx = tok_.Encode(context, true).size();
  CaseOutcome out;
  out.id = c.id;
  std::vector<double> normed;
  for (const std::string& choice : c.choices) {
    const std::vector<int> whole = tok_.Encode(context + carry + choice, true);
    if (whole.size() <= n_ctx)
      Fail(ErrorKind::kInvalidInput, "case \"{}\": choice \"{}\" adds no tokens to the prompt",
           c.id, choice);
    CheckFits(c, whole.size() - 1, model_.max_context());
    const double ll = ContinuationLogLik(whole, n_ctx);
    out.logliks.push_back(ll);
    normed.push_back(ll / double(std::max<size_t>(1, (carry + choice).size())));
  }
  out.predicted = ArgMax(out.logliks);
  out.predicted_norm = ArgMax(normed);
  out.correct = out.predicted == c.answer_index;
  out.correct_norm = out.predicted_norm == c.answer_index;
  return out;
}

std::vector<CaseOutcome> RunSuite(model::LlamaModel& model, const tokenizer::Tokenizer& tokenizer,
                                  const Suite& suite, const std::function<void(size_t)>& on_case) {
  CaseScorer scorer(model, tokenizer);
  std::vector<CaseOutcome> out;
  out.reserve(suite.cases.size());
  for (const SuiteCase& c : suite.cases) {
    out.push_back(scorer.Run(c));
    if (on_case) on_case(out.size());
  }
  return out;
}

}  // namespace qforge::eval
