// llama.cpp imatrix files: hand-built legacy .dat and GGUF files laid out as llama-imatrix writes
// them (tools/imatrix/imatrix.cpp) read back to the importance llama-quantize derives
// (tools/quantize/quantize.cpp load_imatrix / load_legacy_imatrix); the GGUF writer round-trips;
// corrupt files give one Error{kInvalidInput} naming the problem, never a crash or a huge
// allocation.
#include "qforge/io/imatrix_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "qforge/core/error.h"
#include "qforge/io/gguf_writer.h"
#include "support/temp_dir.h"

namespace qforge::io {
namespace {
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Little-endian bytes of a legacy .dat file.
struct Dat {
  std::string bytes;
  Dat& I32(int32_t v) { return Raw(&v, 4); }
  Dat& F32(float v) { return Raw(&v, 4); }
  Dat& Str(const std::string& s) { return Raw(s.data(), s.size()); }
  Dat& Entry(const std::string& name, int32_t ncall, const std::vector<float>& values) {
    I32(int32_t(name.size())).Str(name).I32(ncall).I32(int32_t(values.size()));
    for (float v : values) F32(v);
    return *this;
  }
  Dat& Raw(const void* p, size_t n) {
    bytes.append(static_cast<const char*>(p), n);
    return *this;
  }
  std::span<const std::byte> span() const { return std::as_bytes(std::span(bytes)); }
};

ImportanceMatrix Parse(const Dat& d) { return ParseImatrix(d.span(), "test.dat"); }

void ExpectInvalid(const Dat& d, const std::string& what) {
  try {
    Parse(d);
    ADD_FAILURE() << "no error, expected: " << what;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput) << e.what();
    EXPECT_THAT(e.what(), HasSubstr(what));
  }
}

TEST(ImatrixLegacy, ValuesAreDividedByTheCallCount) {
  Dat d;
  d.I32(2)
      .Entry("blk.0.attn_q.weight", 4, {4.0f, 8.0f, 2.0f, 0.0f})
      .Entry("blk.0.ffn_down.weight", 0, {0.5f, 3.0f});  // ncall 0: values as they are
  d.I32(10).I32(9).Str("calib.txt");                     // chunk count and dataset
  const ImportanceMatrix m = Parse(d);
  EXPECT_EQ(m.file, "test.dat");
  ASSERT_EQ(m.entries.size(), 2u);
  EXPECT_THAT(m.Find("blk.0.attn_q.weight")->Importance(), ElementsAre(1.0f, 2.0f, 0.5f, 0.0f));
  EXPECT_THAT(m.Find("blk.0.ffn_down.weight")->Importance(), ElementsAre(0.5f, 3.0f));
  EXPECT_EQ(m.chunks_count, 10);
  EXPECT_THAT(m.datasets, ElementsAre("calib.txt"));
  EXPECT_EQ(m.Find("output.weight"), nullptr);
}

TEST(ImatrixLegacy, OlderFilesEndAfterTheEntries) {
  Dat d;
  d.I32(1).Entry("w", 3, {3.0f, 6.0f});
  const ImportanceMatrix m = Parse(d);
  EXPECT_THAT(m.Find("w")->Importance(), ElementsAre(1.0f, 2.0f));
  EXPECT_EQ(m.chunks_count, 0);
  EXPECT_TRUE(m.datasets.empty());
}

TEST(ImatrixLegacy, CorruptFilesAreErrors) {
  ExpectInvalid(Dat{}, "truncated");
  ExpectInvalid(Dat{}.I32(0), "no data");
  ExpectInvalid(Dat{}.I32(1).I32(-5), "negative");
  ExpectInvalid(Dat{}.I32(1).I32(1000).Str("abc"), "truncated");
  ExpectInvalid(Dat{}.I32(1).I32(0), "empty name");
  ExpectInvalid(Dat{}.I32(1).I32(1).Str("w").I32(1).I32(0), "0 values");
  // A header claiming 10^9 values is checked against the bytes left before anything is allocated.
  ExpectInvalid(Dat{}.I32(1).I32(1).Str("w").I32(1).I32(1000000000).F32(1), "truncated");
  ExpectInvalid(Dat{}.I32(1).Entry("w", 1, {1.0f, std::nanf("")}), "finite");
  ExpectInvalid(Dat{}.I32(1).Entry("w", 1, {-1.0f}), ">= 0");
  ExpectInvalid(Dat{}.I32(2).Entry("w", 1, {1.0f}).Entry("w", 1, {2.0f}), "twice");
  ExpectInvalid(Dat{}.I32(2).Entry("w", 1, {1.0f}), "truncated");  // second entry missing
  ExpectInvalid(Dat{}.I32(1).Entry("w", 1, {1.0f}).I32(3), "truncated");
  ExpectInvalid(Dat{}.I32(1).Entry("w", 1, {1.0f}).I32(3).I32(2).Str("ab").Str("x"),
                "unexpected bytes");
}

class ImatrixGguf : public test::TempDirTest {
 protected:
  // The keys llama-imatrix writes; tests drop one to check it is required.
  GgufWriter Header(const std::string& skip = "") {
    GgufWriter w;
    w.Add("general.type", "imatrix");
    if (skip != "imatrix.datasets") w.AddStringArray("imatrix.datasets", {"calib.txt"});
    if (skip != "imatrix.chunk_count") w.Add("imatrix.chunk_count", uint32_t{7});
    if (skip != "imatrix.chunk_size") w.Add("imatrix.chunk_size", uint32_t{512});
    return w;
  }
  static void Tensor(GgufWriter& w, const std::string& name, std::vector<int64_t> shape,
                     const std::vector<float>& values) {
    w.AddTensor(name, QType::kF32, std::move(shape), std::as_bytes(std::span(values)));
  }
  void ExpectInvalid(const GgufWriter& w, const std::string& what) {
    w.Write(Path("bad.gguf"));
    try {
      ReadImatrix(Path("bad.gguf"));
      ADD_FAILURE() << "no error, expected: " << what;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput) << e.what();
      EXPECT_THAT(e.what(), HasSubstr(what));
    }
  }
};

TEST_F(ImatrixGguf, SumsOverCountsPerExpert) {
  GgufWriter w = Header();
  const std::vector<float> sums = {8, 16, 4, 0}, count = {8};
  // Two experts of 2 columns: the second saw no token, so its importance is 1 (llama-quantize).
  const std::vector<float> moe_sums = {3, 6, 5, 5}, moe_counts = {3, 0};
  const std::vector<float> means = {9, 9, 9, 9};
  Tensor(w, "blk.0.attn_q.weight.in_sum2", {1, 4}, sums);
  Tensor(w, "blk.0.attn_q.weight.counts", {1, 1}, count);
  Tensor(w, "blk.0.attn_q.weight.in_sum", {1, 4}, means);  // ignored, as by llama-quantize
  Tensor(w, "blk.0.ffn_up_exps.weight.in_sum2", {2, 2}, moe_sums);
  Tensor(w, "blk.0.ffn_up_exps.weight.counts", {2, 1}, moe_counts);
  w.Write(Path("imatrix.gguf"));
  const ImportanceMatrix m = ReadImatrix(Path("imatrix.gguf"));
  ASSERT_EQ(m.entries.size(), 2u);
  EXPECT_THAT(m.Find("blk.0.attn_q.weight")->Importance(), ElementsAre(1, 2, 0.5f, 0));
  EXPECT_THAT(m.Find("blk.0.ffn_up_exps.weight")->Importance(), ElementsAre(1, 2, 1, 1));
  EXPECT_THAT(m.datasets, ElementsAre("calib.txt"));
  EXPECT_EQ(m.chunks_count, 7);
  EXPECT_EQ(m.chunk_size, 512);
  EXPECT_EQ(m.file, Path("imatrix.gguf"));
}

TEST_F(ImatrixGguf, WriterRoundTripsExactly) {
  ImportanceMatrix m;
  m.datasets = {"calib.txt", "more.jsonl"};
  m.chunks_count = 12;
  m.chunk_size = 256;
  // Sums that do not divide evenly: the reader must derive the same floats, not re-round means.
  m.entries["blk.1.attn_k.weight"] = {{1.0f, 2.5f, 1e-7f, 0.0f}, {3.0f}};
  m.entries["blk.1.ffn_gate.weight"] = ImportanceEntry::FromMeans({0.1f, 0.2f});
  WriteImatrixGguf(m, Path("out.gguf"));
  const ImportanceMatrix back = ReadImatrix(Path("out.gguf"));
  EXPECT_EQ(back.datasets, m.datasets);
  EXPECT_EQ(back.chunks_count, 12);
  EXPECT_EQ(back.chunk_size, 256);
  ASSERT_EQ(back.entries.size(), 2u);
  for (const auto& [name, e] : m.entries) {
    const ImportanceEntry* b = back.Find(name);
    ASSERT_NE(b, nullptr) << name;
    EXPECT_EQ(b->sum_sq, e.sum_sq) << name;
    EXPECT_EQ(b->counts, e.counts) << name;
    EXPECT_EQ(b->Importance(), e.Importance()) << name;
  }
  EXPECT_THAT(back.Find("blk.1.ffn_gate.weight")->Importance(), ElementsAre(0.1f, 0.2f));
}

TEST_F(ImatrixGguf, WriterRejectsInconsistentEntries) {
  ImportanceMatrix m;
  m.entries["w"] = {{1.0f, 2.0f, 3.0f}, {1.0f, 1.0f}};  // 3 sums for 2 experts
  EXPECT_THROW(WriteImatrixGguf(m, Path("x.gguf")), Error);
}

TEST_F(ImatrixGguf, CorruptFilesAreErrors) {
  const std::vector<float> sums = {1, 2}, count = {1}, two_counts = {1, 1}, nan = {1, NAN};
  for (const char* key : {"imatrix.datasets", "imatrix.chunk_count", "imatrix.chunk_size"}) {
    GgufWriter w = Header(key);
    Tensor(w, "w.in_sum2", {1, 2}, sums);
    Tensor(w, "w.counts", {1, 1}, count);
    ExpectInvalid(w, key);
  }
  {
    GgufWriter w = Header();
    Tensor(w, "w.in_sum2", {1, 2}, sums);
    ExpectInvalid(w, "no .counts");
  }
  {
    GgufWriter w = Header();
    Tensor(w, "w.in_sum2", {1, 2}, sums);
    Tensor(w, "w.counts", {2, 1}, two_counts);
    ExpectInvalid(w, "2 counts for 1 experts");
  }
  {
    GgufWriter w = Header();
    Tensor(w, "w.in_sum2", {1, 2}, nan);
    Tensor(w, "w.counts", {1, 1}, count);
    ExpectInvalid(w, "finite");
  }
  {
    GgufWriter w = Header();
    const std::vector<uint16_t> half = {0x3c00, 0x3c00};
    w.AddTensor("w.in_sum2", QType::kF16, {1, 2}, std::as_bytes(std::span(half)));
    Tensor(w, "w.counts", {1, 1}, count);
    ExpectInvalid(w, "F32");
  }
  {
    GgufWriter w = Header();
    Tensor(w, "w.weight", {1, 2}, sums);
    ExpectInvalid(w, "no importance entries");
  }
}

TEST_F(ImatrixGguf, MissingFileIsAnError) {
  EXPECT_THROW(ReadImatrix(Path("absent.imatrix")), Error);
}

}  // namespace
}  // namespace qforge::io
