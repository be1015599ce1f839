// The one runtime-to-template bridge of the kernels (STYLE.md practice 3): QType -> storage type.
//
// Outside VisitQType, kernel code is typed: it is a template on the storage element type
// (float, hwy::float16_t, hwy::bfloat16_t, or the BlockRows tag of matmul.h for block-quantized
// types, which dequantize through the traits table) and never switches on the enum. A new storage
// type adds one case here; -Werror=switch makes forgetting it a compile error.
// Block types with an integer dot product (vec_dot.h's table) never get here from MatMul: it sends
// them to the QDotRows tag instead, so their BlockRows case is only the fallback of other callers.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include "hwy/base.h"
#include "qforge/core/qtype.h"
#include "qforge/kernels/matmul.h"

namespace qforge::kernels {

// Calls visit.template operator()<T>() with T the element type that stores `type`.
template <class Visitor>
decltype(auto) VisitQType(QType type, Visitor&& visit) {
  switch (type) {
    case QType::kF32:
      return visit.template operator()<float>();
    case QType::kF16:
      return visit.template operator()<hwy::float16_t>();
    case QType::kBF16:
      return visit.template operator()<hwy::bfloat16_t>();
    case QType::kQ8_0:
    case QType::kQ4_0:
    case QType::kQ4_1:
    case QType::kQ5_0:
    case QType::kQ5_1:
    case QType::kQ2_K:
    case QType::kQ3_K:
    case QType::kQ4_K:
    case QType::kQ5_K:
    case QType::kQ6_K:
    case QType::kIQ4_NL:
    case QType::kQ8_1:
    case QType::kQ8_K:
    case QType::kINT8:  // qforge-native types (core/qblocks_native.h); rows may have a header
    case QType::kINT4_G32:
    case QType::kINT4_G64:
    case QType::kINT4_G128:
    case QType::kINT4_G32_Z:
    case QType::kINT4_G64_Z:
    case QType::kINT4_G128_Z:
    case QType::kINT4_ROW:
    case QType::kINT4_ROW_Z:
    case QType::kINT3_G32:
    case QType::kINT3_G64:
    case QType::kINT3_G128:
    case QType::kINT3_G32_Z:
    case QType::kINT3_G64_Z:
    case QType::kINT3_G128_Z:
    case QType::kINT3_ROW:
    case QType::kINT3_ROW_Z:
    case QType::kINT2_G32:
    case QType::kINT2_G64:
    case QType::kINT2_G128:
    case QType::kINT2_G32_Z:
    case QType::kINT2_G64_Z:
    case QType::kINT2_G128_Z:
    case QType::kINT2_ROW:
    case QType::kINT2_ROW_Z:
    case QType::kNF4:
    case QType::kNF4_DQ:
    case QType::kFP4:
    case QType::kFP8_E4M3:
    case QType::kFP8_E5M2:
    case QType::kFP8_E4M3_T:
    case QType::kFP8_E5M2_T:
    case QType::kW8A8:
    case QType::kLLM_INT8:
      return visit.template operator()<BlockRows>();
    case QType::kCount:
      break;
  }
  // Reaching here is a bug in the caller (a QType without a kernel): abort with its name.
  const std::string name = size_t(type) < kQTypeCount ? std::string(Traits(type).name) : "invalid";
  std::fprintf(stderr, "qforge: no kernel for qtype %s (%d)\n", name.c_str(), int(type));
  std::abort();
}

// Name of the Highway target that the dispatched kernels run on now ("AVX3", "AVX2", ...); for
// tests (they check that the target they asked for is the one that ran) and benchmark labels.
const char* ActiveTarget();

}  // namespace qforge::kernels
