// Helpers shared by the kernel tests: bounded failure output and the check that the Highway
// target a test asked for is the one the library dispatched to.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "hwy/targets.h"
#include "qforge/kernels/dispatch.h"

namespace qforge::test {

// hwy's TestWithParamTarget restricts the supported targets; the kernels must follow.
inline void ExpectActiveTarget(int64_t target) {
  EXPECT_STREQ(hwy::TargetName(target), kernels::ActiveTarget());
}

// Compares many values against bounds but reports at most a few failures per case.
class Comparer {
 public:
  explicit Comparer(std::string what) : what_(std::move(what)) {}
  void Near(double actual, double expected, double tolerance, int64_t index) {
    // NaN-safe: a NaN fails the comparison and is reported.
    if (std::fabs(actual - expected) <= tolerance) return;
    if (++failures_ <= kMaxReported)
      ADD_FAILURE() << what_ << " [" << index << "]: got " << actual << ", want " << expected
                    << " +- " << tolerance << " (diff " << std::fabs(actual - expected) << ")";
  }
  ~Comparer() {
    if (failures_ > kMaxReported) ADD_FAILURE() << what_ << ": " << failures_ << " failures in all";
  }

 private:
  static constexpr int kMaxReported = 5;
  std::string what_;
  int failures_ = 0;
};

}  // namespace qforge::test
