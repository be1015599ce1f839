// Packing and unpacking of GPTQ v1 weights (layout in gptq_layout.h).
#include "qforge/io/gptq_layout.h"

#include "qforge/core/error.h"

namespace qforge::io {
namespace {

bool GptqBits(int bits) { return bits == 2 || bits == 3 || bits == 4 || bits == 8; }

}  // namespace

GptqWeight PackGptq(const IntWeights& w, const std::string& name) {
  const int b = w.bits;
  if (!GptqBits(b))
    Fail(ErrorKind::kInvalidInput, "tensor '{}': GPTQ stores 2, 3, 4 or 8 bits, not {}", name, b);
  if ((w.in * b) % 32 != 0 || (w.out * b) % 32 != 0)
    Fail(ErrorKind::kInvalidInput,
         "tensor '{}' [{}, {}]: GPTQ packs {}-bit codes in 32-bit words along both dimensions, so "
         "{} must divide the row count and the row length",
         name, w.out, w.in, b, b == 3 ? 32 : 32 / b);
  GptqWeight g;
  g.in = w.in;
  g.out = w.out;
  g.groups = w.groups();
  std::vector<uint32_t> qweight(size_t(w.in * b / 32 * w.out), 0);
  for (int64_t o = 0; o < w.out; ++o)  // column o: the codes of row o along the input
    for (int64_t i = 0; i < w.in; ++i)
      SetBitField(qweight.data() + o, w.out, i, b, w.codes[size_t(o * w.in + i)]);
  const int64_t zcols = w.out * b / 32;
  std::vector<uint32_t> qzeros(size_t(g.groups * zcols), 0);
  g.scales.resize(size_t(g.groups * w.out));
  for (int64_t o = 0; o < w.out; ++o)
    for (int64_t k = 0; k < g.groups; ++k) {
      const int32_t z = w.zeros[size_t(o * g.groups + k)];
      if (z < 1 || z > (1 << b))
        Fail(ErrorKind::kInvalidInput,
             "tensor '{}' row {} group {}: zero point {} cannot be stored in GPTQ v1 (it stores "
             "zero - 1 in {} bits, so zeros run from 1 to {})",
             name, o, k, z, b, 1 << b);
      SetBitField(qzeros.data() + k * zcols, 1, o, b, uint32_t(z - 1));
      g.scales[size_t(k * w.out + o)] = w.scales[size_t(o * g.groups + k)];
    }
  g.qweight.assign(qweight.begin(), qweight.end());
  g.qzeros.assign(qzeros.begin(), qzeros.end());
  g.g_idx.resize(size_t(w.in));
  for (int64_t i = 0; i < w.in; ++i) g.g_idx[size_t(i)] = w.GroupOf(i);
  return g;
}

IntWeights UnpackGptq(const std::map<std::string, StRawTensor>& tensors, const std::string& prefix,
                      int bits, int group_size, const std::string& path) {
  const std::string qweight_name = prefix + ".qweight";
  if (!GptqBits(bits))
    Fail(ErrorKind::kUnsupported, "{}: '{}': GPTQ bits {} (qforge reads 2, 3, 4 and 8)", path,
         qweight_name, bits);
  const auto it = tensors.find(qweight_name);
  if (it == tensors.end() || it->second.dtype != "I32" || it->second.shape.size() != 2)
    Fail(ErrorKind::kInvalidInput, "{}: '{}' is not a 2-D I32 tensor", path, qweight_name);
  IntWeights w;
  w.bits = bits;
  w.in = it->second.shape[0] * 32 / bits;
  w.out = it->second.shape[1];
  if ((it->second.shape[0] * 32) % bits != 0 || (w.out * bits) % 32 != 0 || w.out <= 0 || w.in <= 0)
    Fail(ErrorKind::kInvalidInput, "{}: '{}' has shape {}, which no {}-bit GPTQ layer has", path,
         qweight_name, ShapeString(it->second.shape), bits);
  if (group_size != -1 && group_size <= 0)
    Fail(ErrorKind::kInvalidInput, "{}: GPTQ group_size {} (expected -1 or positive)", path,
         group_size);
  w.group = group_size == -1 ? w.in : group_size;
  w.per_row = group_size == -1;
  const int64_t groups = w.groups(), zcols = w.out * bits / 32;
  const auto qweight =
      RawValues<uint32_t>(tensors, qweight_name, "I32", {w.in * bits / 32, w.out}, path);
  const auto qzeros =
      RawValues<uint32_t>(tensors, prefix + ".qzeros", "I32", {groups, zcols}, path);
  const auto scales =
      RawValues<uint16_t>(tensors, prefix + ".scales", "F16", {groups, w.out}, path);
  if (tensors.count(prefix + ".g_idx")) {
    w.g_idx = RawValues<int32_t>(tensors, prefix + ".g_idx", "I32", {w.in}, path);
    for (int64_t i = 0; i < w.in; ++i)
      if (w.g_idx[size_t(i)] < 0 || w.g_idx[size_t(i)] >= groups)
        Fail(ErrorKind::kInvalidInput, "{}: '{}.g_idx'[{}] = {} is outside [0, {})", path, prefix,
             i, w.g_idx[size_t(i)], groups);
  }
  w.codes.resize(size_t(w.out * w.in));
  for (int64_t o = 0; o < w.out; ++o)
    for (int64_t i = 0; i < w.in; ++i)
      w.codes[size_t(o * w.in + i)] = uint8_t(GetBitField(qweight.data() + o, w.out, i, bits));
  w.zeros.resize(size_t(w.out * groups));
  w.scales.resize(size_t(w.out * groups));
  for (int64_t k = 0; k < groups; ++k)
    for (int64_t o = 0; o < w.out; ++o) {
      w.zeros[size_t(o * groups + k)] =
          int32_t(GetBitField(qzeros.data() + k * zcols, 1, o, bits)) + 1;
      w.scales[size_t(o * groups + k)] = scales[size_t(k * w.out + o)];
    }
  return w;
}

}  // namespace qforge::io
