// VisitedSet: membership across inserts, growth and resets.
#include "piramid/visited.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace piramid {
namespace {

uint64_t tid_like(std::mt19937_64& rng) {
  const uint64_t block = rng() % 100000, offset = 1 + rng() % 300;
  return (block << 16) | offset;
}

TEST(VisitedSet, MatchesAnOrderedSetThroughGrowthAndResets) {
  std::mt19937_64 rng(3);
  VisitedSet set(16);
  for (int round = 0; round < 50; ++round) {
    std::set<uint64_t> expected;
    const size_t n = round % 2 == 0 ? 40 : 3000;  // small searches after large ones, and the reverse
    set.reset(round % 3 == 0 ? 16 : 1024);
    for (size_t i = 0; i < n; ++i) {
      const uint64_t key = tid_like(rng);
      ASSERT_EQ(set.insert(key), expected.insert(key).second) << "round " << round;
    }
    ASSERT_EQ(set.size(), expected.size());
    for (uint64_t key : expected) ASSERT_TRUE(set.contains(key));
    for (int i = 0; i < 200; ++i) {
      const uint64_t key = tid_like(rng);
      ASSERT_EQ(set.contains(key), expected.count(key) == 1);
    }
  }
}

TEST(VisitedSet, ResetForgetsEverything) {
  VisitedSet set(8);
  const uint64_t a = (uint64_t{7} << 16) | 3, b = (uint64_t{0xffffffff} << 16) | 0xffff;
  for (int round = 0; round < 70000; ++round) {
    set.reset(8);
    ASSERT_FALSE(set.contains(a)) << "round " << round;
    ASSERT_FALSE(set.contains(b)) << "round " << round;
    ASSERT_TRUE(set.insert(round % 2 ? a : b));
    ASSERT_FALSE(set.insert(round % 2 ? a : b));
    ASSERT_EQ(set.size(), 1u);
  }
}

TEST(VisitedSet, KeepsNarrowKeysWhenTheFirstWideKeyArrives) {
  // Tuple addresses below block 65,536 fit 32-bit slots; a key from a higher block widens the set,
  // which must still hold every key inserted before.
  VisitedSet set(64);
  std::set<uint64_t> expected;
  for (uint64_t block = 0; block < 3000; ++block) {
    const uint64_t key = (block << 16) | (1 + block % 7);
    ASSERT_TRUE(set.insert(key));
    expected.insert(key);
  }
  const uint64_t wide = (uint64_t{70000} << 16) | 5;
  ASSERT_FALSE(set.contains(wide));
  ASSERT_TRUE(set.insert(wide));
  expected.insert(wide);
  ASSERT_FALSE(set.insert(wide));
  for (uint64_t key : expected) {
    ASSERT_TRUE(set.contains(key)) << key;
    ASSERT_FALSE(set.insert(key)) << key;
  }
  ASSERT_EQ(set.size(), expected.size());
  set.reset(16);  // narrow again
  ASSERT_FALSE(set.contains(wide));
  ASSERT_TRUE(set.insert((uint64_t{12} << 16) | 1));
  ASSERT_EQ(set.size(), 1u);
}

}  // namespace
}  // namespace piramid
