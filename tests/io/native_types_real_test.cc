// Every qforge-native type on real weights (the test bed and stories260K: the embedding and the
// matrices of layer 0): the round trip of each tensor stays within the type's derived bound, and
// the relative RMS error is printed per type (informational: error grows as bits shrink).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "qforge/core/qblocks_native.h"
#include "qforge/core/qtype.h"
#include "qforge/io/load_checkpoint.h"
#include "support/paths.h"

namespace qforge {
namespace {

// The scope over which a type takes its scale, and the bound of its rounding error given that
// scope's statistics, as derived in tests/core/native_*_test.cc:
//   INTb symmetric  s = 2 amax / maxq:       |e| <= s/2 + maxq 2^-11 s (f16 scale rounding)
//   INTb asymmetric s = (xmax - xmin) / maxq: |e| <= s   + maxq 2^-11 s (zero-point rounding)
//   INT8            s = amax / 127:          |e| <= s/2
//   NF4 / FP4       |e| <= half the largest gap between levels * absmax
//   NF4_DQ          the same with the absmax off by <= half the dynamic map's largest gap * amax2
//   FP8             |e| <= 2^-(M+1) |x| in the normal range, half a subnormal step * d below it
// Each gets 2^-20 amax (or one f16 subnormal step) for f32 and f16 rounding.
struct Scope {
  int64_t group;  // elements sharing a scale; 0 = the row, -1 = the tensor
};

Scope ScopeOf(QType type) {
  const std::string name(Traits(type).name);
  const size_t g = name.find("_G");
  if (g != std::string::npos) return {std::stoll(name.substr(g + 2))};
  if (name.rfind("NF4", 0) == 0 || name == "FP4") return {kNF4BlockSize};
  if (name.size() > 2 && name.substr(name.size() - 2) == "_T") return {-1};
  return {0};
}

double HalfLargestGap(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  double gap = 0;
  for (size_t k = 1; k < v.size(); ++k) gap = std::max(gap, v[k] - v[k - 1]);
  return gap / 2;
}

// The bound's parameters for one type, parsed once from its name.
struct BoundRule {
  enum Kind { kIntSym, kIntAsym, kInt8, kTable, kFp8 } kind;
  int maxq = 0;                                          // INTb
  double half_gap = 0;                                   // NF4 / FP4 tables
  double max = 0, min_normal = 0, min_sub = 0, rel = 0;  // FP8
};

BoundRule RuleOf(QType type) {
  const std::string name(Traits(type).name);
  BoundRule r{BoundRule::kFp8};
  if (name == "INT8" || name == "W8A8" || name == "LLM_INT8") {  // INT8's storage, all three
    r.kind = BoundRule::kInt8;
  } else if (name.rfind("INT", 0) == 0) {
    r.kind = name.substr(name.size() - 2) == "_Z" ? BoundRule::kIntAsym : BoundRule::kIntSym;
    r.maxq = (1 << (name[3] - '0')) - 1;
  } else if (name.rfind("NF4", 0) == 0 || name == "FP4") {
    r.kind = BoundRule::kTable;
    const float* t = name == "FP4" ? kFP4Levels : kNF4Levels;
    r.half_gap = HalfLargestGap({t, t + 16});
  } else if (name.rfind("FP8_E4M3", 0) == 0) {
    r = {BoundRule::kFp8, 0, 0, 448, 0x1p-6, 0x1p-9, 0x1p-4};
  } else {
    r = {BoundRule::kFp8, 0, 0, 57344, 0x1p-14, 0x1p-16, 0x1p-3};
  }
  return r;
}

// The bound for element x in a scope with minimum xmin, maximum xmax; `dq_slack` is the NF4_DQ
// absmax error bound of the tensor (0 for other types).
double Bound(const BoundRule& r, double x, double xmin, double xmax, double dq_slack) {
  const double amax = std::max(xmax, -xmin), eps = 0x1p-20 * amax;
  switch (r.kind) {
    case BoundRule::kIntSym:
    case BoundRule::kIntAsym: {
      const bool zero = r.kind == BoundRule::kIntAsym;
      const double s =
          zero ? (std::max(xmax, 0.0) - std::min(xmin, 0.0)) / r.maxq : 2 * amax / r.maxq;
      return (zero ? s : s / 2) + r.maxq * (0x1p-11 * s + 0x1p-24) + eps;  // 2^-24: f16 subnormals
    }
    case BoundRule::kInt8:
      return amax / 127 / 2 + eps;
    case BoundRule::kTable:
      return r.half_gap * amax + dq_slack + eps;
    case BoundRule::kFp8: {
      const double d = amax / r.max;
      return std::max(r.rel * std::fabs(x), r.min_normal * d * r.rel) * (1 + 0x1p-20) +
             r.min_sub * d / 2;
    }
  }
  return 0;
}

// NF4_DQ: |absmax_dq - absmax| <= half the map's largest gap * max |absmax - mean|.
double DoubleQuantSlack(const std::vector<float>& x) {
  std::vector<double> absmax;
  for (size_t b = 0; b + kNF4BlockSize <= x.size(); b += kNF4BlockSize) {
    double a = 0;
    for (int64_t j = 0; j < kNF4BlockSize; ++j) a = std::max(a, std::fabs(double(x[b + j])));
    absmax.push_back(a);
  }
  double mean = 0, dev = 0;
  for (double a : absmax) mean += a / double(absmax.size());
  for (double a : absmax) dev = std::max(dev, std::fabs(a - mean));
  return HalfLargestGap({DynamicMap8(), DynamicMap8() + 256}) * dev + 0x1p-20 * mean;
}

struct Totals {
  double err2 = 0, x2 = 0;
  int64_t n = 0, failures = 0;
};

// Quantizes one [rows, cols] tensor with QuantizeTensor and checks each element.
void CheckTensor(QType type, const std::string& name, const std::vector<float>& x, int64_t rows,
                 int64_t cols, Totals& tot) {
  const size_t stride = RowBytes(type, cols);
  std::vector<std::byte> q(stride * size_t(rows));
  QuantizeTensor(type, x.data(), rows, cols, q.data());
  std::vector<float> y(x.size());
  for (int64_t r = 0; r < rows; ++r)
    Traits(type).dequantize_row(q.data() + size_t(r) * stride, y.data() + r * cols, cols);
  const Scope scope = ScopeOf(type);
  const int64_t g = scope.group > 0 ? scope.group : scope.group == 0 ? cols : rows * cols;
  const double dq_slack = type == QType::kNF4_DQ ? DoubleQuantSlack(x) : 0;
  const BoundRule rule = RuleOf(type);
  for (int64_t s = 0; s < rows * cols; s += g) {
    const auto [lo, hi] = std::minmax_element(x.begin() + s, x.begin() + s + g);
    for (int64_t i = s; i < s + g; ++i) {
      const double e = std::fabs(double(y[size_t(i)]) - x[size_t(i)]);
      tot.err2 += e * e;
      tot.x2 += double(x[size_t(i)]) * x[size_t(i)];
      ++tot.n;
      if (e > Bound(rule, x[size_t(i)], *lo, *hi, dq_slack) && ++tot.failures <= 3)
        ADD_FAILURE() << Traits(type).name << " " << name << " [" << i << "]: " << x[size_t(i)]
                      << " -> " << y[size_t(i)];
    }
  }
}

// every_type: the model has a row length for every type (the test bed: rows of 256 and 768);
// stories260K's rows of 64 and 172 skip the 128-groups and, for 172, everything but per-row types.
void CheckModel(const std::string& path, bool every_type) {
  const Checkpoint ckpt = io::LoadCheckpoint(path);
  std::printf("%-12s %6s  %s\n", "type", "bits", "relative RMS error on 2-D weights");
  for (size_t i = size_t(QType::kINT8); i < kQTypeCount; ++i) {
    const QType type = QType(i);
    Totals tot;
    for (const TensorView& t : ckpt.tensors) {
      if (t.shape.size() != 2 || t.Cols() % Traits(type).block_size != 0) continue;
      // One decoder layer of each kind of matrix keeps the test at about a second.
      if (t.name.rfind("blk.", 0) == 0 && t.name.rfind("blk.0.", 0) != 0) continue;
      std::vector<float> x(size_t(t.NumElements()));
      for (int64_t r = 0; r < t.Rows(); ++r)
        Traits(t.type).dequantize_row(t.Row(r), x.data() + r * t.Cols(), t.Cols());
      CheckTensor(type, t.name, x, t.Rows(), t.Cols(), tot);
    }
    if (every_type) {
      EXPECT_GT(tot.n, 0) << Traits(type).name;
    }
    if (tot.n == 0) continue;
    EXPECT_EQ(tot.failures, 0) << Traits(type).name;
    std::printf("%-12s %6.3f  %.5f\n", std::string(Traits(type).name).c_str(), BitsPerWeight(type),
                std::sqrt(tot.err2 / tot.x2));
  }
}

TEST(NativeTypesReal, TestBedWeights) {
  CheckModel(test::Shared("models/testbed/testbed.bin"), true);
}
TEST(NativeTypesReal, Stories260KWeights) {
  CheckModel(test::Shared("models/stories260K/stories260K.bin"), false);
}

}  // namespace
}  // namespace qforge
