// The VecDotTraits table (one row per weight type with an integer dot product) and MatMul rows
// through it.
#include "qforge/kernels/vec_dot.h"

#include <iterator>
#include <vector>

#include "qforge/core/error.h"
#include "qforge/kernels/matmul_qdot.h"
#include "qforge/kernels/ref/vec_dot_ref.h"
#include "qforge/kernels/vec_dot_finish.h"

namespace qforge::kernels {
namespace {

// The activation type of each weight type is ggml's vec_dot_type (ggml-cpu.c type_traits_cpu).
constexpr VecDotTraits kVecDotTraits[] = {
    {QType::kQ4_0, QType::kQ8_0, ref::ISumsQ4_0, FinishQ4_0, QDotRowsQ4_0},
    {QType::kQ4_1, QType::kQ8_1, ref::ISumsQ4_1, FinishQ4_1, QDotRowsQ4_1},
    {QType::kQ5_0, QType::kQ8_0, ref::ISumsQ5_0, FinishQ5_0, QDotRowsQ5_0},
    {QType::kQ5_1, QType::kQ8_1, ref::ISumsQ5_1, FinishQ5_1, QDotRowsQ5_1},
    {QType::kQ8_0, QType::kQ8_0, ref::ISumsQ8_0, FinishQ8_0, QDotRowsQ8_0},
    {QType::kIQ4_NL, QType::kQ8_0, ref::ISumsIQ4_NL, FinishIQ4_NL, QDotRowsIQ4_NL},
    {QType::kQ2_K, QType::kQ8_K, ref::ISumsQ2_K, FinishQ2_K, QDotRowsQ2_K},
    {QType::kQ3_K, QType::kQ8_K, ref::ISumsQ3_K, FinishQ3_K, QDotRowsQ3_K},
    {QType::kQ4_K, QType::kQ8_K, ref::ISumsQ4_K, FinishQ4_K, QDotRowsQ4_K},
    {QType::kQ5_K, QType::kQ8_K, ref::ISumsQ5_K, FinishQ5_K, QDotRowsQ5_K},
    {QType::kQ6_K, QType::kQ8_K, ref::ISumsQ6_K, FinishQ6_K, QDotRowsQ6_K},
};
}  // namespace

const VecDotTraits* FindVecDot(QType weight) {
  for (const VecDotTraits& t : kVecDotTraits)
    if (t.weight == weight) return &t;
  return nullptr;
}

float VecDotRef(const VecDotTraits& t, const void* w, const void* x, int64_t n) {
  const int64_t nb = VecDotBlocks(t, n);
  std::vector<int32_t> isum(static_cast<size_t>(nb));
  t.isums_ref(w, x, nb, isum.data());
  return t.finish(w, x, isum.data(), nb);
}

template <>
void MatMulRows<QDotRows>(const MatMulArgs& a, int64_t begin, int64_t end) {
  const VecDotTraits* t = FindVecDot(a.type);
  QF_CHECK(t != nullptr && a.xq != nullptr);
  t->rows(a, begin, end);
}

}  // namespace qforge::kernels
