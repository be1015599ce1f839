// Packing and unpacking of AWQ GEMM weights (layout in awq_layout.h).
#include "qforge/io/awq_layout.h"

#include "qforge/core/error.h"

namespace qforge::io {
namespace {

// Packs row r of `values` ([rows, out], one value per output) into words [rows, out / 8].
void PackRow(const int32_t* values, int64_t out, uint32_t* words) {
  for (int64_t c = 0; c < out / 8; ++c)
    for (int k = 0; k < 8; ++k)
      words[c] |= (uint32_t(values[c * 8 + kAwqOrder[k]]) & 0xf) << (4 * k);
}

void UnpackRow(const uint32_t* words, int64_t out, int32_t* values) {
  for (int64_t c = 0; c < out / 8; ++c)
    for (int k = 0; k < 8; ++k) values[c * 8 + kAwqOrder[k]] = int32_t((words[c] >> (4 * k)) & 0xf);
}

}  // namespace

AwqWeight PackAwq(const IntWeights& w, const std::string& name) {
  if (w.bits != 4)
    Fail(ErrorKind::kInvalidInput, "tensor '{}': the AWQ GEMM layout stores 4 bits, not {}", name,
         w.bits);
  if (w.out % 8 != 0 || w.in % w.group != 0 || !w.g_idx.empty())
    Fail(ErrorKind::kInvalidInput,
         "tensor '{}' [{}, {}]: AWQ needs a row count divisible by 8 and contiguous groups of {} "
         "that divide the row",
         name, w.out, w.in, w.group);
  AwqWeight a;
  a.in = w.in;
  a.out = w.out;
  a.groups = w.groups();
  const int64_t cols = w.out / 8;
  std::vector<uint32_t> qweight(size_t(w.in * cols), 0), qzeros(size_t(a.groups * cols), 0);
  std::vector<int32_t> column(size_t(w.out));  // one input's codes across the outputs
  for (int64_t i = 0; i < w.in; ++i) {
    for (int64_t o = 0; o < w.out; ++o) column[size_t(o)] = w.codes[size_t(o * w.in + i)];
    PackRow(column.data(), w.out, qweight.data() + i * cols);
  }
  a.scales.resize(size_t(a.groups * w.out));
  for (int64_t k = 0; k < a.groups; ++k) {
    for (int64_t o = 0; o < w.out; ++o) {
      const int32_t z = w.zeros[size_t(o * a.groups + k)];
      if (z < 0 || z > 15)
        Fail(ErrorKind::kInvalidInput, "tensor '{}' row {} group {}: zero point {} is not 4-bit",
             name, o, k, z);
      column[size_t(o)] = z;
      a.scales[size_t(k * w.out + o)] = w.scales[size_t(o * a.groups + k)];
    }
    PackRow(column.data(), w.out, qzeros.data() + k * cols);
  }
  a.qweight.assign(qweight.begin(), qweight.end());
  a.qzeros.assign(qzeros.begin(), qzeros.end());
  return a;
}

IntWeights UnpackAwq(const std::map<std::string, StRawTensor>& tensors, const std::string& prefix,
                     int bits, int group_size, const std::string& path) {
  const std::string qweight_name = prefix + ".qweight";
  if (bits != 4)
    Fail(ErrorKind::kUnsupported, "{}: '{}': AWQ bits {} (the GEMM layout is 4-bit)", path,
         qweight_name, bits);
  const auto it = tensors.find(qweight_name);
  if (it == tensors.end() || it->second.dtype != "I32" || it->second.shape.size() != 2 ||
      it->second.shape[0] <= 0 || it->second.shape[1] <= 0)
    Fail(ErrorKind::kInvalidInput, "{}: '{}' is not a 2-D I32 tensor", path, qweight_name);
  IntWeights w;
  w.bits = 4;
  w.in = it->second.shape[0];
  w.out = it->second.shape[1] * 8;
  w.group = group_size == -1 ? w.in : group_size;
  w.per_row = group_size == -1;
  if (w.group <= 0 || w.in % w.group != 0)
    Fail(ErrorKind::kInvalidInput, "{}: '{}': group_size {} does not divide the {} inputs", path,
         qweight_name, group_size, w.in);
  const int64_t groups = w.groups(), cols = w.out / 8;
  const auto qweight = RawValues<uint32_t>(tensors, qweight_name, "I32", {w.in, cols}, path);
  const auto qzeros = RawValues<uint32_t>(tensors, prefix + ".qzeros", "I32", {groups, cols}, path);
  const auto scales =
      RawValues<uint16_t>(tensors, prefix + ".scales", "F16", {groups, w.out}, path);
  w.codes.resize(size_t(w.out * w.in));
  std::vector<int32_t> column(size_t(w.out));
  for (int64_t i = 0; i < w.in; ++i) {
    UnpackRow(qweight.data() + i * cols, w.out, column.data());
    for (int64_t o = 0; o < w.out; ++o) w.codes[size_t(o * w.in + i)] = uint8_t(column[size_t(o)]);
  }
  w.zeros.resize(size_t(w.out * groups));
  w.scales.resize(size_t(w.out * groups));
  for (int64_t k = 0; k < groups; ++k) {
    UnpackRow(qzeros.data() + k * cols, w.out, column.data());
    for (int64_t o = 0; o < w.out; ++o) {
      w.zeros[size_t(o * groups + k)] = column[size_t(o)];
      w.scales[size_t(o * groups + k)] = scales[size_t(k * w.out + o)];
    }
  }
  return w;
}

}  // namespace qforge::io
