// Packing and unpacking of vLLM-style FP8 weights (layout in fp8_layout.h).
#include "qforge/io/fp8_layout.h"

#include <cstring>

#include "qforge/core/error.h"
#include "qforge/core/qblocks_native.h"

namespace qforge::io {

std::string Fp8ScaleName(const std::string& weight) { return weight + "_scale"; }

Fp8Weight PackFp8(const TensorView& fp8) {
  if ((fp8.type != QType::kFP8_E4M3_T && fp8.type != QType::kFP8_E5M2_T) || fp8.shape.size() != 2)
    Fail(ErrorKind::kInvalidInput,
         "tensor '{}' ({} {}): the fp8 export needs a 2-D per-tensor FP8 weight (FP8_E4M3_T)",
         fp8.name, Traits(fp8.type).name, ShapeString(fp8.shape));
  const int64_t rows = fp8.Rows(), cols = fp8.Cols();
  if (fp8.nbytes != size_t(rows) * fp8.RowStride())
    Fail(ErrorKind::kInvalidInput, "tensor '{}' has {} bytes, expected {}", fp8.name, fp8.nbytes,
         size_t(rows) * fp8.RowStride());
  Fp8Weight w;
  w.shape = fp8.shape;
  w.e5m2 = fp8.type == QType::kFP8_E5M2_T;
  w.codes.resize(size_t(rows * cols));
  for (int64_t r = 0; r < rows; ++r) {
    RowHeaderScale header;
    std::memcpy(&header, fp8.Row(r), sizeof(header));
    if (r == 0) w.scale = header.d;
    if (std::memcmp(&header.d, &w.scale, sizeof(float)) != 0)
      Fail(ErrorKind::kInvalidInput, "tensor '{}' row {} has scale {} but row 0 has {}", fp8.name,
           r, header.d, w.scale);
    std::memcpy(w.codes.data() + r * cols, fp8.Row(r) + sizeof(header), size_t(cols));
  }
  return w;
}

TensorView UnpackFp8(const std::map<std::string, StRawTensor>& tensors, const std::string& weight,
                     const std::string& scale_name, const std::string& path,
                     std::shared_ptr<const void>& owner) {
  const StRawTensor& codes = tensors.at(weight);
  const auto scale_it = tensors.find(scale_name);
  if (codes.shape.size() != 2)
    Fail(ErrorKind::kUnsupported, "{}: FP8 weight '{}' of shape {} is not 2-D", path, weight,
         ShapeString(codes.shape));
  if (scale_it == tensors.end() || scale_it->second.dtype != "F32")
    Fail(ErrorKind::kInvalidInput, "{}: FP8 weight '{}' lacks an F32 '{}'", path, weight,
         scale_name);
  const int64_t rows = codes.shape[0], cols = codes.shape[1];
  const size_t scales = scale_it->second.bytes.size() / sizeof(float);
  if (scales != 1 && scales != size_t(rows))
    Fail(ErrorKind::kUnsupported,
         "{}: '{}' holds {} scales; qforge reads one per tensor or one per row ({})", path,
         scale_name, scales, rows);
  const bool e5m2 = codes.dtype == "F8_E5M2";
  const QType type = scales == 1 ? (e5m2 ? QType::kFP8_E5M2_T : QType::kFP8_E4M3_T)
                                 : (e5m2 ? QType::kFP8_E5M2 : QType::kFP8_E4M3);
  const size_t stride = RowBytes(type, cols);
  auto out = std::make_shared<std::vector<std::byte>>(stride * size_t(rows));
  for (int64_t r = 0; r < rows; ++r) {
    std::byte* row = out->data() + size_t(r) * stride;
    std::memcpy(row, scale_it->second.bytes.data() + (scales == 1 ? 0 : r) * sizeof(float),
                sizeof(float));
    std::memcpy(row + sizeof(float), codes.bytes.data() + r * cols, size_t(cols));
  }
  TensorView t;
  t.type = type;
  t.shape = codes.shape;
  t.data = out->data();
  t.nbytes = out->size();
  owner = out;
  return t;
}

}  // namespace qforge::io
