// GPTQ's column-by-column quantization with error feedback (see gptq.h).
#include "qforge/quant/gptq.h"

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <algorithm>
#include <numeric>

#include "qforge/core/error.h"
#include "qforge/core/qtype.h"

namespace qforge::quant {
namespace {

using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic>;  // column-major

// The upper Cholesky factor U of (H + lambda I)^-1 (so H^-1 = U^T U), raising lambda until H + lambda
// I factorises. GPTQ only ever reads U's rows: U(i, i) scales column i's error and U(i, j > i)
// spreads it.
Matrix InverseHessianFactor(Matrix h, double damp, double increment, double* used) {
  const int64_t n = h.rows();
  const double mean_diag = h.diagonal().mean();
  for (;;) {
    Matrix damped = h;
    damped.diagonal().array() += damp * mean_diag;
    Eigen::LLT<Matrix> llt(damped);
    if (llt.info() == Eigen::Success) {
      Matrix inverse = llt.solve(Matrix::Identity(n, n));
      inverse = (inverse + inverse.transpose()) * 0.5;  // exact symmetry for the second factorisation
      Eigen::LLT<Matrix> llt_inverse(inverse);
      if (llt_inverse.info() == Eigen::Success) {
        *used = damp;
        return llt_inverse.matrixU();
      }
    }
    if (increment <= 0.0 || damp >= 1.0)
      Fail(ErrorKind::kInvalidInput,
           "GPTQ: the Hessian does not factorise even with damping {} (calibration too small or "
           "degenerate?)",
           damp);
    damp = std::min(1.0, damp + increment);
  }
}

}  // namespace

GptqResult GptqQuantize(const float* w, int64_t rows, int64_t cols,
                        const std::vector<double>& hessian, const LinearGrid& grid,
                        const GptqOptions& options) {
  QF_CHECK(rows > 0 && cols > 0 && hessian.size() == size_t(cols * cols));
  const int64_t group = grid.group();  // 0: one grid per row
  if (group > 0 && cols % group != 0)
    Fail(ErrorKind::kInvalidInput, "GPTQ: {} columns are not whole groups of {} ({})", cols, group,
         Traits(grid.type()).name);
  const bool static_groups = options.static_groups || options.act_order;
  // Blocks hold whole groups, so a group's columns have all had the same updates when its grid is
  // taken.
  int64_t block = std::max<int64_t>(1, options.block_size);
  if (group > 0) block = std::max<int64_t>(1, block / group) * group;

  GptqResult result;
  Matrix h = Eigen::Map<const Matrix>(hessian.data(), cols, cols);
  Matrix W = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
                 w, rows, cols)
                 .cast<double>();
  // Inputs that never fired carry no information: their weights are zero, their H entry 1.
  for (int64_t j = 0; j < cols; ++j)
    if (h(j, j) == 0.0) {
      h(j, j) = 1.0;
      W.col(j).setZero();
      ++result.dead_columns;
    }

  // Grids fixed before any update: per row (group 0) or per original contiguous group.
  const int64_t groups = group > 0 ? cols / group : 1;
  std::vector<GroupGrid> grids(size_t(rows * groups));
  std::vector<float> values(size_t(group > 0 ? group : cols));
  const auto find_grid = [&](int64_t r, int64_t first, int64_t count, const Matrix& m) {
    for (int64_t c = 0; c < count; ++c) values[size_t(c)] = float(m(r, first + c));
    return grid.Find({values.data(), size_t(count)});
  };
  if (group == 0 || static_groups)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t g = 0; g < groups; ++g)
        grids[size_t(r * groups + g)] =
            find_grid(r, g * (group > 0 ? group : 0), group > 0 ? group : cols, W);

  // Processing order: act-order sorts columns by decreasing H_jj (stable, so ties keep order).
  std::vector<int64_t> perm(static_cast<size_t>(cols));
  std::iota(perm.begin(), perm.end(), 0);
  if (options.act_order)
    std::stable_sort(perm.begin(), perm.end(),
                     [&](int64_t a, int64_t b) { return h(a, a) > h(b, b); });
  Matrix Wp(rows, cols), hp(cols, cols);
  for (int64_t j = 0; j < cols; ++j) Wp.col(j) = W.col(perm[size_t(j)]);
  for (int64_t i = 0; i < cols; ++i)
    for (int64_t j = 0; j < cols; ++j) hp(i, j) = h(perm[size_t(i)], perm[size_t(j)]);
  const Matrix U = InverseHessianFactor(std::move(hp), options.damp_percent,
                                        options.damp_auto_increment, &result.damp_used);

  std::vector<int16_t> codes(size_t(rows * cols));  // row-major, original column order
  Matrix err(rows, block);
  for (int64_t i1 = 0; i1 < cols; i1 += block) {
    const int64_t i2 = std::min(cols, i1 + block), count = i2 - i1;
    for (int64_t i = i1; i < i2; ++i) {
      const int64_t col = perm[size_t(i)];
      // Without act-order, processing order is column order: a group's grid comes from its
      // columns as they stand when the first of them is reached.
      if (group > 0 && !static_groups && col % group == 0)
        for (int64_t r = 0; r < rows; ++r) grids[size_t(r * groups + col / group)] = find_grid(r, i, group, Wp);
      const double d = U(i, i);
      for (int64_t r = 0; r < rows; ++r) {
        const GroupGrid& g = grids[size_t(r * groups + (group > 0 ? col / group : 0))];
        const int code = grid.Code(float(Wp(r, i)), g);
        codes[size_t(r * cols + col)] = int16_t(code);
        err(r, i - i1) = (Wp(r, i) - double(grid.Value(code, g))) / d;
      }
      // Spread this column's error over the rest of the block (the lazy batch's inner update).
      if (i + 1 < i2)
        Wp.block(0, i + 1, rows, i2 - i - 1).noalias() -=
            err.col(i - i1) * U.block(i, i + 1, 1, i2 - i - 1);
    }
    // ... and the block's errors over every later column at once.
    if (i2 < cols)
      Wp.rightCols(cols - i2).noalias() -= err.leftCols(count) * U.block(i1, i2, count, cols - i2);
  }

  const size_t stride = RowBytes(grid.type(), cols);
  result.bytes.resize(stride * size_t(rows));
  for (int64_t r = 0; r < rows; ++r)
    grid.PackRow({&codes[size_t(r * cols)], size_t(cols)},
                 {&grids[size_t(r * groups)], size_t(groups)}, result.bytes.data() + size_t(r) * stride);
  return result;
}

}  // namespace qforge::quant
