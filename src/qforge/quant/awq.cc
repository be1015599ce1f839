// AWQ's scale and clip searches (see awq.h).
#include "qforge/quant/awq.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "qforge/core/error.h"
#include "qforge/core/qblocks_native.h"
#include "qforge/quant/fake_quantize.h"

namespace qforge::quant {
namespace {

double SquaredError(const std::vector<float>& a, const std::vector<float>& b) {
  double sum = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = double(a[i]) - double(b[i]);
    sum += d * d;
  }
  return sum;
}

// Columns a clip group spans: the type's block, or the whole row for per-row scales.
int64_t ClipGroup(QType type, int64_t cols) {
  const QTypeTraits& t = Traits(type);
  return t.row_header_bytes > 0 || t.block_size == 1 ? cols : t.block_size;
}

}  // namespace

void ScaleColumns(float* w, int64_t rows, int64_t cols, std::span<const float> s) {
  QF_CHECK(int64_t(s.size()) == cols);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) w[r * cols + c] *= s[size_t(c)];
}

void DivideRows(float* w, int64_t rows, int64_t cols, std::span<const float> s) {
  QF_CHECK(int64_t(s.size()) == rows);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) w[r * cols + c] /= s[size_t(r)];
}

AwqScales AwqSearchScales(const float* x, int64_t tokens, int64_t in,
                          std::span<const float> mean_abs, std::span<const AwqLinear> linears,
                          const AwqOptions& options, ThreadPool& pool) {
  QF_CHECK(int64_t(mean_abs.size()) == in && options.grid > 0);
  std::vector<std::vector<float>> reference;
  for (const AwqLinear& l : linears)
    reference.push_back(MultiplyTransposed(x, tokens, l.w, l.rows, in, pool));

  AwqScales best;
  best.loss = std::numeric_limits<double>::infinity();
  std::vector<float> s(static_cast<size_t>(in)), scaled_x(size_t(tokens * in));
  for (int k = 0; k < options.grid; ++k) {
    const double ratio = double(k) / options.grid;
    float lo = std::numeric_limits<float>::max(), hi = 0.0f;
    for (int64_t j = 0; j < in; ++j) {
      s[size_t(j)] = std::max(1e-4f, std::pow(mean_abs[size_t(j)], float(ratio)));
      lo = std::min(lo, s[size_t(j)]);
      hi = std::max(hi, s[size_t(j)]);
    }
    const float norm = std::sqrt(lo * hi);
    for (float& v : s) v /= norm;
    // Q(W diag(s)) applied to x diag(1/s): the scaled layer's output.
    for (int64_t t = 0; t < tokens; ++t)
      for (int64_t j = 0; j < in; ++j) scaled_x[size_t(t * in + j)] = x[t * in + j] / s[size_t(j)];
    double loss = 0.0;
    for (size_t i = 0; i < linears.size(); ++i) {
      const AwqLinear& l = linears[i];
      std::vector<float> w(l.w, l.w + l.rows * in);
      ScaleColumns(w.data(), l.rows, in, s);
      FakeQuantize(l.type, w.data(), l.rows, in, w.data(), pool);
      loss += SquaredError(MultiplyTransposed(scaled_x.data(), tokens, w.data(), l.rows, in, pool),
                           reference[i]);
    }
    size_t outputs = 0;
    for (const AwqLinear& l : linears) outputs += size_t(l.rows * tokens);
    loss /= double(std::max<size_t>(1, outputs));
    if (k == 0) best.rtn_loss = loss;
    if (loss < best.loss) {
      best.loss = loss;
      best.ratio = ratio;
      best.scales = s;
    }
  }
  return best;
}

double AwqClip(const AwqLinear& linear, const float* x, int64_t tokens, int64_t in,
               const AwqOptions& options, ThreadPool& pool) {
  if (QuantizesPerTensor(linear.type)) return 0.0;
  const QTypeTraits& traits = Traits(linear.type);
  const int64_t group = ClipGroup(linear.type, in), groups = in / group;
  const int steps = int(options.max_shrink * options.clip_grid);
  std::vector<int64_t> clipped(size_t(linear.rows));
  pool.ParallelFor(
      linear.rows,
      [&](int64_t begin, int64_t end) {
        std::vector<float> original(static_cast<size_t>(in)), trial(static_cast<size_t>(in)), back(static_cast<size_t>(in));
        std::vector<std::byte> bytes(RowBytes(linear.type, in));
        std::vector<double> best_err(static_cast<size_t>(groups));
        std::vector<float> best_max(static_cast<size_t>(groups)), max_abs(static_cast<size_t>(groups));
        for (int64_t r = begin; r < end; ++r) {
          float* w = linear.w + r * in;
          std::copy_n(w, in, original.begin());
          for (int64_t g = 0; g < groups; ++g) {
            float m = 0.0f;
            for (int64_t c = g * group; c < (g + 1) * group; ++c) m = std::max(m, std::fabs(w[c]));
            max_abs[size_t(g)] = best_max[size_t(g)] = m;
            best_err[size_t(g)] = std::numeric_limits<double>::infinity();
          }
          for (int k = 0; k < std::max(1, steps); ++k) {
            const float fraction = 1.0f - float(k) / float(options.clip_grid);
            for (int64_t g = 0; g < groups; ++g) {
              const float limit = max_abs[size_t(g)] * fraction;
              for (int64_t c = g * group; c < (g + 1) * group; ++c)
                trial[size_t(c)] = std::clamp(original[size_t(c)], -limit, limit);
            }
            traits.quantize_row(trial.data(), bytes.data(), in);
            traits.dequantize_row(bytes.data(), back.data(), in);
            // Each group's share of the output error: sum over tokens of (x_g . (q_g - w_g))^2.
            for (int64_t g = 0; g < groups; ++g) {
              double err = 0.0;
              for (int64_t t = 0; t < tokens; ++t) {
                const float* xt = x + t * in;
                double dot = 0.0;
                for (int64_t c = g * group; c < (g + 1) * group; ++c)
                  dot += double(xt[c]) * (double(back[size_t(c)]) - double(original[size_t(c)]));
                err += dot * dot;
              }
              if (err < best_err[size_t(g)]) {
                best_err[size_t(g)] = err;
                best_max[size_t(g)] = max_abs[size_t(g)] * fraction;
              }
            }
          }
          for (int64_t g = 0; g < groups; ++g) {
            if (best_max[size_t(g)] < max_abs[size_t(g)]) ++clipped[size_t(r)];
            for (int64_t c = g * group; c < (g + 1) * group; ++c)
              w[c] = std::clamp(original[size_t(c)], -best_max[size_t(g)], best_max[size_t(g)]);
          }
        }
      },
      /*min_per_thread=*/4);
  int64_t total = 0;
  for (int64_t c : clipped) total += c;
  return double(total) / double(std::max<int64_t>(1, linear.rows * groups));
}

}  // namespace qforge::quant
