// fp16 conversion: exhaustive round trip of every half, and round-to-nearest-even from floats checked
// against the midpoints between neighbouring halves.
#include "piramid/half.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace piramid {
namespace {

TEST(Half, EveryHalfRoundTrips) {
  for (uint32_t h = 0; h <= 0xffff; ++h) {
    const float f = half_to_float(static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(half_to_float(float_to_half(f))));
      continue;
    }
    EXPECT_EQ(float_to_half(f), h) << std::hex << h;
  }
}

TEST(Half, KnownValues) {
  EXPECT_EQ(float_to_half(1.0f), 0x3c00);
  EXPECT_EQ(float_to_half(-2.0f), 0xc000);
  EXPECT_EQ(float_to_half(65504.0f), 0x7bff);
  EXPECT_EQ(float_to_half(65519.0f), 0x7bff);
  EXPECT_EQ(float_to_half(65520.0f), 0x7c00);  // ties to even rounds up to infinity
  EXPECT_EQ(float_to_half(std::numeric_limits<float>::infinity()), 0x7c00);
  EXPECT_EQ(float_to_half(5.960464477539063e-08f), 0x0001);  // smallest subnormal
  EXPECT_EQ(float_to_half(2.98e-08f), 0x0000);               // just under half of it
  EXPECT_EQ(float_to_half(-0.0f), 0x8000);
  EXPECT_FLOAT_EQ(half_to_float(0x3555), 0.333251953125f);
  EXPECT_FLOAT_EQ(half_to_float(float_to_half(1.1f)), 1.099609375f);
}

// The midpoint between two adjacent positive halves must round to the one with an even mantissa; values a
// hair either side of it round to the nearer one.
TEST(Half, RoundsToNearestEven) {
  for (uint32_t h = 0; h < 0x7bff; ++h) {
    const double lo = half_to_float(static_cast<uint16_t>(h));
    const double hi = half_to_float(static_cast<uint16_t>(h + 1));
    const float mid = static_cast<float>((lo + hi) / 2);  // exact in float: halves have 11-bit mantissas
    const uint16_t even = (h & 1) ? static_cast<uint16_t>(h + 1) : static_cast<uint16_t>(h);
    EXPECT_EQ(float_to_half(mid), even) << std::hex << h;
    EXPECT_EQ(float_to_half(std::nextafter(mid, 0.0f)), h) << std::hex << h;
    EXPECT_EQ(float_to_half(std::nextafter(mid, 1e9f)), h + 1) << std::hex << h;
  }
}

}  // namespace
}  // namespace piramid
