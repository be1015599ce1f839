// Importance-weighted quantization (llama.cpp's imatrix path) against ggml: qforge's
// QuantizeRowWeighted must write exactly the bytes ggml_quantize_chunk writes with an importance
// vector, compared through the SHA-256 hashes in tests/data/imatrix/ (README there: ggml version,
// importance formulas, harness). It lives with calib's tests because it needs both the GGUF reader
// (io) and SHA-256 (calib).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "qforge/calib/sha256.h"
#include "qforge/core/qblocks_weighted.h"
#include "qforge/core/qtype.h"
#include "qforge/io/load_checkpoint.h"
#include "support/paths.h"

namespace qforge {
namespace {

// The two importance vectors of tests/data/imatrix/README.md.
std::vector<float> Importance(std::string_view kind, int64_t cols) {
  std::vector<float> imp(static_cast<size_t>(cols), 1.0f);
  if (kind == "ones") return imp;
  for (int64_t j = 0; j < cols; ++j) {
    const uint32_t h = (uint32_t(j) * 2654435761u) >> 24;
    imp[size_t(j)] = h < 8 ? 0.0f : float(h + 1) / 64.0f;
  }
  return imp;
}

// The whole tensor as ggml_quantize_chunk(type, ..., imatrix) produces it: the weighted search
// where ggml has one, else the type's reference quantizer (ggml ignores the imatrix there).
std::vector<std::byte> QuantizeTensor(const TensorView& t, QType type,
                                      const std::vector<float>& imp) {
  const size_t stride = RowBytes(type, t.Cols());
  std::vector<std::byte> out(stride * size_t(t.Rows()));
  for (int64_t r = 0; r < t.Rows(); ++r) {
    const auto* row = reinterpret_cast<const float*>(t.Row(r));
    std::byte* dst = out.data() + size_t(r) * stride;
    if (!QuantizeRowWeighted(type, row, dst, t.Cols(), imp.data()))
      Traits(type).quantize_row(row, dst, t.Cols());
  }
  return out;
}

const Checkpoint& TestBed() {
  static const Checkpoint f32 =
      io::LoadCheckpoint(test::Shared("reference/testbed/llamacpp/F32.gguf"));
  return f32;
}

TEST(ImatrixLlamaCpp, WeightedQuantizationMatchesGgmlBitForBit) {
  std::ifstream in(test::Source("tests/data/imatrix/ggml_weighted_sha256.tsv"));
  ASSERT_TRUE(in) << "tests/data/imatrix/ggml_weighted_sha256.tsv";
  std::map<std::string, int> per_type;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string kind, type_name, tensor, expected;
    fields >> kind >> type_name >> tensor >> expected;
    const TensorView& t = TestBed().Get(tensor);
    const QType type = *QTypeFromName(type_name);
    const std::vector<std::byte> bytes = QuantizeTensor(t, type, Importance(kind, t.Cols()));
    EXPECT_EQ(calib::Sha256Hex({reinterpret_cast<const char*>(bytes.data()), bytes.size()}),
              expected)
        << kind << " " << type_name << " " << tensor;
    ++per_type[type_name];
  }
  for (const auto& [name, n] : per_type)
    std::printf("%-6s %d (tensor, importance) pairs identical to ggml\n", name.c_str(), n);
  EXPECT_EQ(per_type.size(), 11u);
}

// The point of the weighted search: a lower importance-weighted squared error,
// sum_j imp_j (x_j - q_j)^2, than the reference quantizer of the same type, on real weights.
TEST(ImatrixLlamaCpp, WeightedSearchLowersTheWeightedError) {
  const char* tensors[] = {"blk.0.attn_q.weight", "blk.0.ffn_down.weight", "blk.3.ffn_gate.weight"};
  for (QType type : {QType::kQ2_K, QType::kQ3_K, QType::kQ4_K, QType::kQ5_K, QType::kQ6_K,
                     QType::kQ4_0, QType::kQ4_1, QType::kQ5_0, QType::kQ5_1, QType::kIQ4_NL}) {
    double weighted = 0, reference = 0;
    for (const char* name : tensors) {
      const TensorView& t = TestBed().Get(name);
      const std::vector<float> imp = Importance("hash", t.Cols());
      const std::vector<std::byte> w = QuantizeTensor(t, type, imp);
      const size_t stride = RowBytes(type, t.Cols());
      std::vector<std::byte> ref(stride);
      std::vector<float> back_w(size_t(t.Cols())), back_r(size_t(t.Cols()));
      for (int64_t r = 0; r < t.Rows(); ++r) {
        const auto* x = reinterpret_cast<const float*>(t.Row(r));
        Traits(type).quantize_row(x, ref.data(), t.Cols());
        Traits(type).dequantize_row(w.data() + size_t(r) * stride, back_w.data(), t.Cols());
        Traits(type).dequantize_row(ref.data(), back_r.data(), t.Cols());
        for (int64_t j = 0; j < t.Cols(); ++j) {
          const double ew = double(x[j]) - back_w[size_t(j)], er = double(x[j]) - back_r[size_t(j)];
          weighted += imp[size_t(j)] * ew * ew;
          reference += imp[size_t(j)] * er * er;
        }
      }
    }
    const double ratio = weighted / reference;
    std::printf("%-6s importance-weighted squared error, weighted / reference search: %.3f\n",
                Traits(type).name.data(), ratio);
    EXPECT_LT(ratio, 1.0) << Traits(type).name;
  }
}

}  // namespace
}  // namespace qforge
