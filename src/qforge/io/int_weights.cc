// Conversions between qforge's INT tensors and the integer form of GPTQ / AWQ weights.
#include "qforge/io/int_weights.h"

#include <cstring>
#include <memory>

#include "qforge/core/error.h"
#include "qforge/core/half.h"
#include "qforge/core/qblocks_native.h"

namespace qforge::io {
namespace {

struct IntTypeRow {
  QType type;
  IntTypeInfo info;
};
// Every qforge INT type with its geometry; the reverse lookup picks the reader's output type.
constexpr IntTypeRow kIntTypes[] = {
    {QType::kINT8, {8, 0, false}},         {QType::kINT4_G32, {4, 32, false}},
    {QType::kINT4_G64, {4, 64, false}},    {QType::kINT4_G128, {4, 128, false}},
    {QType::kINT4_G32_Z, {4, 32, true}},   {QType::kINT4_G64_Z, {4, 64, true}},
    {QType::kINT4_G128_Z, {4, 128, true}}, {QType::kINT4_ROW, {4, 0, false}},
    {QType::kINT4_ROW_Z, {4, 0, true}},    {QType::kINT3_G32, {3, 32, false}},
    {QType::kINT3_G64, {3, 64, false}},    {QType::kINT3_G128, {3, 128, false}},
    {QType::kINT3_G32_Z, {3, 32, true}},   {QType::kINT3_G64_Z, {3, 64, true}},
    {QType::kINT3_G128_Z, {3, 128, true}}, {QType::kINT3_ROW, {3, 0, false}},
    {QType::kINT3_ROW_Z, {3, 0, true}},    {QType::kINT2_G32, {2, 32, false}},
    {QType::kINT2_G64, {2, 64, false}},    {QType::kINT2_G128, {2, 128, false}},
    {QType::kINT2_G32_Z, {2, 32, true}},   {QType::kINT2_G64_Z, {2, 64, true}},
    {QType::kINT2_G128_Z, {2, 128, true}}, {QType::kINT2_ROW, {2, 0, false}},
    {QType::kINT2_ROW_Z, {2, 0, true}},
};

std::optional<QType> IntTypeFor(int bits, int group, bool zero) {
  for (const IntTypeRow& r : kIntTypes)
    if (r.info.bits == bits && r.info.group == group && r.info.zero == zero) return r.type;
  return std::nullopt;
}

// Codes in qforge's rows use the same LSB-first stream, over bytes (qblocks_native_util.h).
uint32_t GetByteStream(const std::byte* p, int64_t i, int bits) {
  const int64_t bit = i * bits;
  uint32_t v = uint32_t(p[bit / 8]);
  if ((bit % 8) + bits > 8) v |= uint32_t(p[bit / 8 + 1]) << 8;
  return (v >> (bit % 8)) & ((1u << bits) - 1);
}
void SetByteStream(std::byte* p, int64_t i, int bits, uint32_t value) {
  const int64_t bit = i * bits;
  const uint32_t v = value << (bit % 8);
  p[bit / 8] |= std::byte(v & 0xff);
  if ((bit % 8) + bits > 8) p[bit / 8 + 1] |= std::byte(v >> 8);
}

template <typename T>
T Load(const std::byte* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}
template <typename T>
void Store(std::byte* p, const T& v) {
  std::memcpy(p, &v, sizeof(T));
}

// One row of an INT tensor into w (row o): header or per-block scales and zeros, then codes.
void ReadRow(const TensorView& t, const IntTypeInfo& info, int64_t o, IntWeights& w) {
  const std::byte* row = t.Row(o);
  const int64_t in = w.in, groups = w.groups();
  uint8_t* codes = w.codes.data() + o * in;
  const int32_t mid = 1 << (info.bits - 1);
  if (info.bits == 8) {  // INT8: | d:f32 | int8 codes |
    const float d = Load<float>(row);
    w.scales[o] = F32ToF16(d);
    w.scales_rounded |= F16ToF32(w.scales[o]) != d;
    w.zeros[o] = 128;
    for (int64_t i = 0; i < in; ++i) codes[i] = uint8_t(int(int8_t(uint8_t(row[4 + i]))) + 128);
    return;
  }
  if (info.group == 0) {  // INTb_ROW(_Z): | d:f32 [| z:i32] | codes |
    const float d = Load<float>(row);
    w.scales[o] = F32ToF16(d);
    w.scales_rounded |= F16ToF32(w.scales[o]) != d;
    w.zeros[o] = info.zero ? Load<int32_t>(row + 4) : mid;
    const std::byte* qs = row + (info.zero ? 8 : 4);
    for (int64_t i = 0; i < in; ++i) codes[i] = uint8_t(GetByteStream(qs, i, info.bits));
    return;
  }
  // Blocks | d:f16 [| z:u8] | codes |.
  const size_t block_bytes = Traits(t.type).block_bytes;
  for (int64_t g = 0; g < groups; ++g) {
    const std::byte* b = row + size_t(g) * block_bytes;
    w.scales[o * groups + g] = Load<uint16_t>(b);
    w.zeros[o * groups + g] = info.zero ? int32_t(uint8_t(b[2])) : mid;
    const std::byte* qs = b + (info.zero ? 3 : 2);
    for (int64_t k = 0; k < info.group; ++k)
      codes[g * info.group + k] = uint8_t(GetByteStream(qs, k, info.bits));
  }
}

// Writes row o of w in `type`'s layout (the inverse of ReadRow; zeros already checked to fit).
void WriteRow(const IntWeights& w, const IntTypeInfo& info, QType type, int64_t o, std::byte* row) {
  const int64_t in = w.in, groups = w.groups();
  const uint8_t* codes = w.codes.data() + o * in;
  if (info.bits == 8) {
    Store(row, F16ToF32(w.scales[o]));
    for (int64_t i = 0; i < in; ++i) row[4 + i] = std::byte(uint8_t(int8_t(int(codes[i]) - 128)));
    return;
  }
  if (info.group == 0) {
    Store(row, F16ToF32(w.scales[o]));
    if (info.zero) Store(row + 4, w.zeros[o]);
    std::byte* qs = row + (info.zero ? 8 : 4);
    for (int64_t i = 0; i < in; ++i) SetByteStream(qs, i, info.bits, codes[i]);
    return;
  }
  const size_t block_bytes = Traits(type).block_bytes;
  for (int64_t g = 0; g < groups; ++g) {
    std::byte* b = row + size_t(g) * block_bytes;
    Store(b, w.scales[o * groups + g]);
    if (info.zero) b[2] = std::byte(uint8_t(w.zeros[o * groups + g]));
    std::byte* qs = b + (info.zero ? 3 : 2);
    for (int64_t k = 0; k < info.group; ++k)
      SetByteStream(qs, k, info.bits, codes[g * info.group + k]);
  }
}

// The INT type that holds w exactly, if any.
std::optional<QType> ExactType(const IntWeights& w) {
  for (int64_t i = 0; i < int64_t(w.g_idx.size()); ++i)
    if (w.g_idx[i] != i / w.group) return std::nullopt;  // act-order: groups are not contiguous
  if (w.in % w.group != 0) return std::nullopt;
  const int32_t mid = 1 << (w.bits - 1), maxq = (1 << w.bits) - 1;
  bool sym = true, fit = true;
  for (int32_t z : w.zeros) {
    sym &= z == mid;
    fit &= z >= 0 && z <= maxq;
  }
  // A per-row i32 zero holds any value; a block's u8 zero must stay on the type's grid.
  if (w.per_row) return IntTypeFor(w.bits, 0, !sym);  // for 8 bits: INT8 only when symmetric
  if (!sym && !fit) return std::nullopt;
  return IntTypeFor(w.bits, int(w.group), !sym);  // none for 8 bits
}

}  // namespace

std::optional<IntTypeInfo> IntTypeOf(QType type) {
  for (const IntTypeRow& r : kIntTypes)
    if (r.type == type) return r.info;
  return std::nullopt;
}

IntWeights IntWeightsFromTensor(const TensorView& t) {
  const auto info = IntTypeOf(t.type);
  if (!info || t.shape.size() != 2)
    Fail(ErrorKind::kInvalidInput, "tensor '{}' ({} {}) is not a 2-D INT-type weight", t.name,
         Traits(t.type).name, ShapeString(t.shape));
  IntWeights w;
  w.bits = info->bits;
  w.out = t.Rows();
  w.in = t.Cols();
  w.group = info->group == 0 ? w.in : info->group;
  w.per_row = info->group == 0;
  if (w.in % Traits(t.type).block_size != 0 || t.nbytes != size_t(w.out) * t.RowStride())
    Fail(ErrorKind::kInvalidInput, "tensor '{}' ({} {}) has {} bytes, expected {}", t.name,
         Traits(t.type).name, ShapeString(t.shape), t.nbytes, size_t(w.out) * t.RowStride());
  w.codes.resize(size_t(w.out * w.in));
  w.zeros.resize(size_t(w.out * w.groups()));
  w.scales.resize(size_t(w.out * w.groups()));
  for (int64_t o = 0; o < w.out; ++o) ReadRow(t, *info, o, w);
  for (size_t k = 0; k < w.scales.size(); ++k)
    if ((w.scales[k] & 0x7c00) == 0x7c00)  // an f32 row scale beyond f16's range
      Fail(ErrorKind::kInvalidInput,
           "tensor '{}' row {}: its scale exceeds 65504, the largest f16 scale GPTQ/AWQ files hold",
           t.name, int64_t(k) / w.groups());
  return w;
}

std::vector<float> DequantizeIntWeights(const IntWeights& w) {
  std::vector<float> out(size_t(w.out * w.in));
  const int64_t groups = w.groups();
  for (int64_t o = 0; o < w.out; ++o)
    for (int64_t i = 0; i < w.in; ++i) {
      const int64_t g = o * groups + w.GroupOf(i);
      out[size_t(o * w.in + i)] =
          F16ToF32(w.scales[g]) * float(int32_t(w.codes[size_t(o * w.in + i)]) - w.zeros[g]);
    }
  return out;
}

TensorView TensorFromIntWeights(const IntWeights& w, std::shared_ptr<const void>& owner,
                                bool& exact_type) {
  TensorView t;
  t.shape = {w.out, w.in};
  const auto type = ExactType(w);
  exact_type = type.has_value();
  if (!type) {
    auto data = std::make_shared<std::vector<float>>(DequantizeIntWeights(w));
    t.type = QType::kF32;
    t.data = reinterpret_cast<const std::byte*>(data->data());
    t.nbytes = data->size() * sizeof(float);
    owner = data;
    return t;
  }
  t.type = *type;
  const IntTypeInfo info = *IntTypeOf(*type);
  const size_t stride = RowBytes(*type, w.in);
  auto data = std::make_shared<std::vector<std::byte>>(stride * size_t(w.out));
  for (int64_t o = 0; o < w.out; ++o)
    WriteRow(w, info, *type, o, data->data() + size_t(o) * stride);
  t.data = data->data();
  t.nbytes = data->size();
  owner = data;
  return t;
}

uint32_t GetBitField(const uint32_t* words, int64_t stride, int64_t i, int bits) {
  const int64_t bit = i * bits, k = bit / 32;
  const int shift = int(bit % 32);
  uint64_t v = words[k * stride] >> shift;
  if (shift + bits > 32) v |= uint64_t(words[(k + 1) * stride]) << (32 - shift);
  return uint32_t(v) & ((1u << bits) - 1);
}

void SetBitField(uint32_t* words, int64_t stride, int64_t i, int bits, uint32_t value) {
  const int64_t bit = i * bits, k = bit / 32;
  const int shift = int(bit % 32);
  const uint64_t v = uint64_t(value & ((1u << bits) - 1)) << shift;
  words[k * stride] |= uint32_t(v);
  if (shift + bits > 32) words[(k + 1) * stride] |= uint32_t(v >> 32);
}

void CheckRawTensor(const std::map<std::string, StRawTensor>& tensors, const std::string& name,
                    std::string_view dtype, const std::vector<int64_t>& shape,
                    const std::string& path) {
  const auto it = tensors.find(name);
  if (it == tensors.end()) Fail(ErrorKind::kInvalidInput, "{}: tensor '{}' is missing", path, name);
  const StRawTensor& t = it->second;
  if (t.dtype != dtype || t.shape != shape)
    Fail(ErrorKind::kInvalidInput, "{}: tensor '{}' is {} {}, expected {} {}", path, name, t.dtype,
         ShapeString(t.shape), dtype, ShapeString(shape));
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  const size_t bytes = dtype == "F16" ? 2 : 4;
  if (t.bytes.size() != size_t(n) * bytes)
    Fail(ErrorKind::kInvalidInput, "{}: tensor '{}' holds {} bytes, expected {}", path, name,
         t.bytes.size(), size_t(n) * bytes);
}

}  // namespace qforge::io
