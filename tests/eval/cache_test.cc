// Baseline cache: keys, round trip, and recomputation of a corrupt entry.
#include "qforge/eval/cache.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/temp_dir.h"

namespace qforge {
namespace {

using CacheTest = test::TempDirTest;

TEST_F(CacheTest, RoundTripAndCorruption) {
  eval::BaselineCache cache(Path("cache"));
  eval::CaseOutcome o;
  o.id = "a";
  o.correct = true;
  o.output = " Veinbe";
  o.output_ids = {5, 6};
  o.hit_eos = true;
  o.logliks = {-1.5, -0.25};
  o.predicted = 1;
  const std::string key = eval::BaselineCacheKey(1, 2, "ctx=256");
  EXPECT_NE(key, eval::BaselineCacheKey(1, 2, "ctx=128"));
  EXPECT_NE(key, eval::BaselineCacheKey(1, 3, "ctx=256"));
  EXPECT_FALSE(cache.Load(key, 1).has_value());
  cache.Store(key, {o});
  const auto back = cache.Load(key, 1);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ((*back)[0].output, o.output);
  EXPECT_EQ((*back)[0].output_ids, o.output_ids);
  EXPECT_EQ((*back)[0].logliks, o.logliks);
  EXPECT_FALSE(cache.Load(key, 2).has_value());  // a different number of cases: recompute
  std::ofstream(cache.PathFor(key)) << "{broken";
  EXPECT_FALSE(cache.Load(key, 1).has_value());
}

TEST_F(CacheTest, ModelHashFollowsContent) {
  std::ofstream(Path("a.bin")) << "weights";
  std::ofstream(Path("b.bin")) << "weights";
  std::ofstream(Path("c.bin")) << "weightz";
  EXPECT_EQ(eval::HashModelPath(Path("a.bin")), eval::HashModelPath(Path("b.bin")));
  EXPECT_NE(eval::HashModelPath(Path("a.bin")), eval::HashModelPath(Path("c.bin")));
}

}  // namespace
}  // namespace qforge
