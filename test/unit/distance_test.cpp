// Every SIMD variant of every distance kernel against a double-precision reference, for every length from
// 1 to 4,100 and for unaligned inputs.
//
// Tolerance: float sums of n terms, accumulated in any order, are within gamma(n) * sum|term| of the exact
// value, gamma(n) ~ n * 2^-24. Our variants accumulate in at most 16 lanes of n/16 + 4 terms each plus a
// reduction tree; we allow (n/8 + 24) * 2^-24 * sum|term| for SIMD and (n + 8) * 2^-24 * sum|term| for the
// sequential scalar code. Inputs are drawn in [0.5, 2) so all terms have similar size: a kernel that skips
// or double-counts even one element misses by about sum|term| / n, far above that bound, which the
// single-difference tests below check exactly.
#include "piramid/distance.h"
#include "piramid/half.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace piramid {
namespace {

std::vector<const DistanceKernels*> available_variants() {
  std::vector<const DistanceKernels*> out;
  for (SimdLevel level : {SimdLevel::kScalar, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
    if (const DistanceKernels* k = kernels_for(level)) out.push_back(k);
  }
  return out;
}

double tolerance(const DistanceKernels& k, size_t n, double sum_abs_terms) {
  const double u = std::ldexp(1.0, -24);
  const double terms = k.level == SimdLevel::kScalar ? double(n) + 8 : double(n) / 8 + 24;
  return terms * u * sum_abs_terms + 1e-30;
}

struct Reference {
  double l2sq = 0, dot = 0, l1 = 0, norm_a = 0, norm_b = 0;
  double abs_l2 = 0, abs_dot = 0;  // sums of |term| for the tolerance
};

Reference reference(const std::vector<float>& a, const std::vector<float>& b) {
  Reference r;
  for (size_t i = 0; i < a.size(); ++i) {
    const double x = a[i], y = b[i], d = x - y;
    r.l2sq += d * d;
    r.dot += x * y;
    r.l1 += std::fabs(d);
    r.norm_a += x * x;
    r.norm_b += y * y;
    r.abs_dot += std::fabs(x * y);
  }
  r.abs_l2 = r.l2sq;
  return r;
}

class DistanceKernelTest : public ::testing::TestWithParam<const DistanceKernels*> {};

TEST_P(DistanceKernelTest, F32MatchesReferenceForEveryLength) {
  const DistanceKernels& k = *GetParam();
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(0.5f, 2.0f);
  std::vector<float> buf_a(4100 + 3), buf_b(4100 + 3);
  for (size_t n = 1; n <= 4100; ++n) {
    // offsets 1 and 3 floats make the inputs unaligned for every SIMD width
    float* a = buf_a.data() + 1;
    float* b = buf_b.data() + 3;
    for (size_t i = 0; i < n; ++i) a[i] = dist(rng), b[i] = dist(rng);
    const Reference r = reference(std::vector<float>(a, a + n), std::vector<float>(b, b + n));
    ASSERT_NEAR(k.l2sq_f32(a, b, n), r.l2sq, tolerance(k, n, r.abs_l2)) << k.name << " n=" << n;
    ASSERT_NEAR(k.dot_f32(a, b, n), r.dot, tolerance(k, n, r.abs_dot)) << k.name << " n=" << n;
    ASSERT_NEAR(k.l1_f32(a, b, n), r.l1, tolerance(k, n, r.l1)) << k.name << " n=" << n;
    const CosineParts c = k.cosine_f32(a, b, n);
    ASSERT_NEAR(c.dot, r.dot, tolerance(k, n, r.abs_dot)) << k.name << " n=" << n;
    ASSERT_NEAR(c.norm_a, r.norm_a, tolerance(k, n, r.norm_a)) << k.name << " n=" << n;
    ASSERT_NEAR(c.norm_b, r.norm_b, tolerance(k, n, r.norm_b)) << k.name << " n=" << n;
  }
}

TEST_P(DistanceKernelTest, F16MatchesReferenceForEveryLength) {
  const DistanceKernels& k = *GetParam();
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(0.5f, 2.0f);
  std::vector<uint16_t> buf_a(4100 + 5), buf_b(4100 + 5);
  for (size_t n = 1; n <= 4100; ++n) {
    uint16_t* a = buf_a.data() + 1;
    uint16_t* b = buf_b.data() + 5;
    std::vector<float> fa(n), fb(n);
    for (size_t i = 0; i < n; ++i) {
      a[i] = float_to_half(dist(rng));
      b[i] = float_to_half(dist(rng));
      fa[i] = half_to_float(a[i]);
      fb[i] = half_to_float(b[i]);
    }
    const Reference r = reference(fa, fb);
    ASSERT_NEAR(k.l2sq_f16(a, b, n), r.l2sq, tolerance(k, n, r.abs_l2)) << k.name << " n=" << n;
    ASSERT_NEAR(k.dot_f16(a, b, n), r.dot, tolerance(k, n, r.abs_dot)) << k.name << " n=" << n;
    ASSERT_NEAR(k.l1_f16(a, b, n), r.l1, tolerance(k, n, r.l1)) << k.name << " n=" << n;
    const CosineParts c = k.cosine_f16(a, b, n);
    ASSERT_NEAR(c.dot, r.dot, tolerance(k, n, r.abs_dot)) << k.name << " n=" << n;
    ASSERT_NEAR(c.norm_a, r.norm_a, tolerance(k, n, r.norm_a)) << k.name << " n=" << n;
    ASSERT_NEAR(c.norm_b, r.norm_b, tolerance(k, n, r.norm_b)) << k.name << " n=" << n;
  }
}

// Vectors equal except at one position: every kernel must see that position exactly, wherever it falls
// (main loop, secondary loop, masked or scalar tail).
TEST_P(DistanceKernelTest, SingleDifferenceAtEveryPosition) {
  const DistanceKernels& k = *GetParam();
  for (size_t n : {1, 7, 8, 15, 16, 17, 31, 33, 63, 64, 65, 100, 129}) {
    for (size_t pos = 0; pos < n; ++pos) {
      std::vector<float> a(n, 1.0f), b(n, 1.0f);
      b[pos] = 4.0f;
      EXPECT_EQ(k.l2sq_f32(a.data(), b.data(), n), 9.0f) << k.name << " n=" << n << " pos=" << pos;
      EXPECT_EQ(k.l1_f32(a.data(), b.data(), n), 3.0f) << k.name << " n=" << n << " pos=" << pos;
      EXPECT_EQ(k.dot_f32(a.data(), b.data(), n), float(n) + 3.0f) << k.name << " n=" << n;
      std::vector<uint16_t> ha(n, float_to_half(1.0f)), hb(n, float_to_half(1.0f));
      hb[pos] = float_to_half(4.0f);
      EXPECT_EQ(k.l2sq_f16(ha.data(), hb.data(), n), 9.0f) << k.name << " n=" << n << " pos=" << pos;
      EXPECT_EQ(k.l1_f16(ha.data(), hb.data(), n), 3.0f) << k.name << " n=" << n << " pos=" << pos;
    }
  }
}

TEST_P(DistanceKernelTest, BitsMatchReferenceForEveryLength) {
  const DistanceKernels& k = *GetParam();
  std::mt19937 rng(3);
  std::vector<uint8_t> buf_a(600), buf_b(600);
  for (size_t nbytes = 1; nbytes <= 520; ++nbytes) {
    uint8_t* a = buf_a.data() + 1;
    uint8_t* b = buf_b.data() + 7;
    uint64_t xor_count = 0, and_count = 0, or_count = 0;
    for (size_t i = 0; i < nbytes; ++i) {
      a[i] = static_cast<uint8_t>(rng());
      b[i] = static_cast<uint8_t>(rng());
      for (int bit = 0; bit < 8; ++bit) {
        const int x = (a[i] >> bit) & 1, y = (b[i] >> bit) & 1;
        xor_count += x ^ y;
        and_count += x & y;
        or_count += x | y;
      }
    }
    ASSERT_EQ(k.hamming(a, b, nbytes), xor_count) << k.name << " nbytes=" << nbytes;
    const BitCounts c = k.bit_counts(a, b, nbytes);
    ASSERT_EQ(c.both, and_count) << k.name << " nbytes=" << nbytes;
    ASSERT_EQ(c.either, or_count) << k.name << " nbytes=" << nbytes;
  }
}

INSTANTIATE_TEST_SUITE_P(AllVariants, DistanceKernelTest, ::testing::ValuesIn(available_variants()),
                         [](const auto& info) { return std::string(info.param->name); });

TEST(DistanceDispatch, BestLevelIsAvailable) {
  EXPECT_NE(kernels_for(best_simd_level()), nullptr);
  EXPECT_EQ(kernels().level, best_simd_level());
  EXPECT_NE(kernels_for(SimdLevel::kScalar), nullptr);
}

}  // namespace
}  // namespace piramid

namespace piramid {
namespace {

// 8-bit code kernels are exact integer arithmetic: every variant must equal the scalar one.
TEST_P(DistanceKernelTest, U8CodesMatchScalarExactly) {
  const DistanceKernels& k = *GetParam();
  const DistanceKernels& ref = *kernels_for(SimdLevel::kScalar);
  std::mt19937 rng(11);
  std::vector<uint8_t> buf_a(4200), buf_b(4200);
  std::vector<int16_t> buf_q(4200);
  for (size_t n = 1; n <= 4100; n += (n < 200 ? 1 : 37)) {
    uint8_t* a = buf_a.data() + 1;
    uint8_t* b = buf_b.data() + 3;
    int16_t* q = buf_q.data() + 1;
    for (size_t i = 0; i < n; ++i) {
      a[i] = static_cast<uint8_t>(rng());
      b[i] = static_cast<uint8_t>(rng());
      q[i] = static_cast<int16_t>(static_cast<int>(rng() % 1001) - 500);
    }
    ASSERT_EQ(k.l2sq_u8(a, b, n), ref.l2sq_u8(a, b, n)) << k.name << " n=" << n;
    ASSERT_EQ(k.l1_u8(a, b, n), ref.l1_u8(a, b, n)) << k.name << " n=" << n;
    ASSERT_EQ(k.dot_u8(a, b, n), ref.dot_u8(a, b, n)) << k.name << " n=" << n;
    ASSERT_EQ(k.dot_u8_i16(a, q, n), ref.dot_u8_i16(a, q, n)) << k.name << " n=" << n;
  }
  // extremes: 255 vs 0 everywhere
  std::vector<uint8_t> hi(1000, 255), lo(1000, 0);
  EXPECT_EQ(k.l2sq_u8(hi.data(), lo.data(), 1000), 1000u * 255 * 255) << k.name;
  EXPECT_EQ(k.l1_u8(hi.data(), lo.data(), 1000), 1000u * 255) << k.name;
  EXPECT_EQ(k.dot_u8(hi.data(), hi.data(), 1000), 1000u * 255 * 255) << k.name;
}

}  // namespace
}  // namespace piramid

namespace piramid {
namespace {

// The fast-scan kernel: every variant equals the plain sum of table entries, for every even m up to 256
// (including the saturation-free maximum of 255 per entry).
TEST_P(DistanceKernelTest, Pq4FastScanMatchesPlainSums) {
  const DistanceKernels& k = *GetParam();
  std::mt19937 rng(21);
  for (size_t m : {2, 4, 6, 16, 50, 98, 128, 256}) {
    std::vector<uint8_t> lut(m * 16), block(m * 16);
    std::vector<std::vector<uint8_t>> codes(32, std::vector<uint8_t>(m));
    for (auto& v : lut) v = static_cast<uint8_t>(m == 256 ? 255 : rng());
    for (size_t j = 0; j < 32; ++j)
      for (size_t s = 0; s < m; ++s) codes[j][s] = static_cast<uint8_t>(rng() % 16);
    for (size_t s = 0; s < m; ++s)
      for (size_t t = 0; t < 16; ++t) block[s * 16 + t] = static_cast<uint8_t>(codes[t][s] | (codes[t + 16][s] << 4));
    uint16_t out[32];
    k.pq4_scan32(lut.data(), block.data(), m, out);
    for (size_t j = 0; j < 32; ++j) {
      uint32_t expected = 0;
      for (size_t s = 0; s < m; ++s) expected += lut[s * 16 + codes[j][s]];
      ASSERT_EQ(out[j], expected) << k.name << " m=" << m << " entry " << j;
    }
  }
}

TEST_P(DistanceKernelTest, DotsOfHalfRowsMatchDoublePrecision) {
  const DistanceKernels& k = *GetParam();
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  for (size_t n : {1, 7, 8, 9, 31, 784}) {
    for (size_t count : {1, 3, 4, 5, 9}) {
      std::vector<float> q(n), out(count, -1.0f);
      std::vector<uint16_t> rows(count * n);
      for (auto& v : q) v = u(rng);
      for (auto& h : rows) h = float_to_half(u(rng));
      k.dots_f16(q.data(), rows.data(), count, n, out.data());
      for (size_t r = 0; r < count; ++r) {
        double expected = 0, magnitude = 0;
        for (size_t i = 0; i < n; ++i) {
          const double term = double(q[i]) * double(half_to_float(rows[r * n + i]));
          expected += term;
          magnitude += std::fabs(term);
        }
        ASSERT_NEAR(out[r], expected, 1e-5 * magnitude + 1e-6) << k.name << " n=" << n << " count=" << count << " row " << r;
      }
    }
  }
}

TEST_P(DistanceKernelTest, Sq8DecodeRoundsLikeScalarCode) {
  const DistanceKernels& k = *GetParam();
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-3.0f, 3.0f);
  for (size_t n : {1, 7, 8, 9, 31, 784, 1000}) {
    std::vector<uint8_t> code(n);
    std::vector<float> offsets(n), out(n);
    for (size_t i = 0; i < n; ++i) {
      code[i] = static_cast<uint8_t>(rng());
      offsets[i] = u(rng);
    }
    const float step = 0.013f + u(rng) * 0.001f;
    k.sq8_decode(code.data(), offsets.data(), step, n, out.data());
    for (size_t i = 0; i < n; ++i) {
      volatile float scaled = step * static_cast<float>(code[i]);
      const float expected = offsets[i] + scaled;
      ASSERT_EQ(out[i], expected) << k.name << " n=" << n << " i=" << i;
    }
  }
}

}  // namespace
}  // namespace piramid
