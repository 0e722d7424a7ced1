// The rotation navigation codes apply before quantizing (nav_rotation.h) and the eigen solver under it
// (symmetric_eigen.h): eigenpairs satisfy A v = lambda v, rotations are orthonormal and block-diagonal,
// the largest axes land in different subspaces, on correlated data rotated codes estimate distances
// better than unrotated ones, and training keeps the rotation only where it measures better.
#include "piramid/compute/symmetric_eigen.h"
#include "piramid/distance.h"
#include "piramid/hnsw/nav.h"
#include "piramid/hnsw/nav_rotation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <set>
#include <utility>

namespace piramid::hnsw {
namespace {

TEST(SymmetricEigen, EigenpairsOfARandomSymmetricMatrix) {
  const size_t n = 30;
  std::mt19937 rng(5);
  std::normal_distribution<double> normal;
  std::vector<double> a(n * n);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j <= i; ++j) a[i * n + j] = a[j * n + i] = normal(rng);
  }
  const SymmetricEigen e = symmetric_eigen(a, n);
  ASSERT_EQ(e.values.size(), n);
  double trace = 0, sum = 0;
  for (size_t i = 0; i < n; ++i) trace += a[i * n + i], sum += e.values[i];
  EXPECT_NEAR(trace, sum, 1e-9);
  for (size_t r = 0; r < n; ++r) {
    if (r > 0) {
      EXPECT_GE(e.values[r - 1], e.values[r]);
    }
    for (size_t i = 0; i < n; ++i) {  // (A v)_i == lambda v_i
      double av = 0;
      for (size_t k = 0; k < n; ++k) av += a[i * n + k] * e.vectors[r * n + k];
      EXPECT_NEAR(av, e.values[r] * e.vectors[r * n + i], 1e-9) << "pair " << r;
    }
    for (size_t q = 0; q <= r; ++q) {  // orthonormal rows
      double dot = 0;
      for (size_t k = 0; k < n; ++k) dot += e.vectors[r * n + k] * e.vectors[q * n + k];
      EXPECT_NEAR(dot, q == r ? 1.0 : 0.0, 1e-9);
    }
  }
}

TEST(SymmetricEigen, DiagonalMatrixIsSortedWithUnitVectors) {
  const std::vector<double> a = {1, 0, 0, 0, 5, 0, 0, 0, 3};
  const SymmetricEigen e = symmetric_eigen(a, 3);
  EXPECT_EQ(e.values, (std::vector<double>{5, 3, 1}));
  EXPECT_EQ(std::fabs(e.vectors[0 * 3 + 1]), 1.0);
  EXPECT_EQ(std::fabs(e.vectors[1 * 3 + 2]), 1.0);
  EXPECT_EQ(std::fabs(e.vectors[2 * 3 + 0]), 1.0);
}

TEST(NavRotation, BlockSizesFollowTheSubspaces) {
  EXPECT_EQ(nav_rotation_block_dims(784, 98), 88u);    // 9 blocks of 11 subspaces of 8 dims (the last 10)
  EXPECT_EQ(nav_rotation_block_dims(3072, 128), 96u);  // 4 subspaces of 24 dims
  EXPECT_EQ(nav_rotation_block_dims(16, 16), 16u);     // one block over everything
  EXPECT_EQ(nav_rotation_block_dims(16000, 128), 0u);  // subspaces of 125 dims: not rotated
  EXPECT_EQ(nav_rotation_block_dims(3, 2), 0u);        // too few subspaces
  EXPECT_EQ(nav_rotation_floats(784, 88), 8u * 88 * 88 + 80 * 80);
  EXPECT_EQ(nav_rotation_floats(784, 0), 0u);
}

// Rows whose dimensions come in correlated runs of 4 with very different variances, like neighbouring
// pixels of an image.
std::vector<float> correlated_rows(size_t n, size_t dims, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> data(n * dims);
  for (size_t i = 0; i < n; ++i) {
    for (size_t d = 0; d < dims; d += 4) {
      const float shared = normal(rng) * (1.0f + static_cast<float>(d % 16));
      for (size_t k = d; k < d + 4 && k < dims; ++k) data[i * dims + k] = shared + 0.3f * normal(rng);
    }
  }
  return data;
}

TEST(NavRotation, IsOrthonormalAndDealsTheLargestAxesApart) {
  const size_t n = 3000, padded = 64, dsub = 4, block = 32;
  const std::vector<float> data = correlated_rows(n, padded, 2);
  const NavRotation r = NavRotation::train(data.data(), n, padded, dsub, block);
  ASSERT_EQ(r.matrices().size(), nav_rotation_floats(padded, block));
  const DistanceKernels& k = kernels();
  const float* m = r.matrices().data();
  for (size_t b = 0; b < padded / block; ++b, m += block * block)
    for (size_t i = 0; i < block; ++i)
      for (size_t j = 0; j < block; ++j)
        EXPECT_NEAR(k.dot_f32(m + i * block, m + j * block, block), i == j ? 1.0f : 0.0f, 1e-4f);
  // Distances and inner products survive the rotation (applied with binary16 entries: relative errors
  // of a few 2^-12 at most).
  std::vector<float> a(padded), b(padded);
  r.apply(&data[0], a.data());
  r.apply(&data[padded], b.data());
  const float l2 = k.l2sq_f32(&data[0], &data[padded], padded),
              dot = k.dot_f32(&data[0], &data[padded], padded);
  EXPECT_NEAR(k.l2sq_f32(a.data(), b.data(), padded), l2, 1e-3f * l2);
  EXPECT_NEAR(k.dot_f32(a.data(), b.data(), padded), dot, 1e-3f * std::fabs(dot));
  EXPECT_NEAR(k.dot_f32(a.data(), a.data(), padded), k.dot_f32(&data[0], &data[0], padded),
              1e-3f * k.dot_f32(&data[0], &data[0], padded));
  // Each block holds 8 strong axes (one per run of 4 dims); the 8 subspaces of a block must each get
  // one, so every subspace's variance is within a factor of the others'.
  std::vector<double> variance(padded, 0.0);
  std::vector<float> rotated(padded);
  for (size_t i = 0; i < n; ++i) {
    r.apply(&data[i * padded], rotated.data());
    for (size_t d = 0; d < padded; ++d) variance[d] += rotated[d] * rotated[d];
  }
  for (size_t s0 = 0; s0 < block / dsub; ++s0) {
    double largest = 0;
    for (size_t d = s0 * dsub; d < (s0 + 1) * dsub; ++d) largest = std::max(largest, variance[d] / n);
    EXPECT_GT(largest, 1.0) << "subspace " << s0 << " got no strong axis";
  }
}

// Rows near a 12-dimensional subspace spread over all dimensions (factors of decreasing variance mixed
// by a random dense matrix, plus a little noise): every raw subspace sees a mix of all factors.
std::vector<float> low_rank_rows(size_t n, size_t dims, uint32_t seed) {
  const size_t factors = 12;
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> mix(dims * factors), data(n * dims);
  for (auto& w : mix) w = normal(rng);
  std::vector<float> z(factors);
  for (size_t i = 0; i < n; ++i) {
    for (size_t f = 0; f < factors; ++f) z[f] = normal(rng) * 4.0f / static_cast<float>(1 + f);
    for (size_t d = 0; d < dims; ++d) {
      float v = 0.1f * normal(rng);
      for (size_t f = 0; f < factors; ++f) v += mix[d * factors + f] * z[f];
      data[i * dims + d] = v;
    }
  }
  return data;
}

TEST(NavRotation, RotatedCodesEstimateCorrelatedDataBetter) {
  const size_t n = 4000, dims = 96, m = 24;
  const std::vector<float> data = low_rank_rows(n, dims, 8);
  const NavQuantizer plain =
      NavQuantizer::train(data.data(), n, dims, m, 1, ComputeContext(), NavRotationChoice::kNever);
  const NavQuantizer rotated =
      NavQuantizer::train(data.data(), n, dims, m, 1, ComputeContext(), NavRotationChoice::kAlways);
  ASSERT_TRUE(plain.rotation().empty());
  ASSERT_FALSE(rotated.rotation().empty());
  const DistanceKernels& k = kernels();
  // The spread of estimate minus truth (a constant offset does not change which neighbour looks nearer).
  auto error = [&](const NavQuantizer& nav) {
    double sum = 0, squares = 0;
    std::vector<uint8_t> block(nav_block_bytes(m), 0), code(nav.code_bytes());
    for (size_t q = 0; q < 20; ++q) {
      const float* query = &data[q * dims];
      const NavTable table = nav.table(query, Metric::kL2);
      for (size_t j = 0; j < kNavBlockEntries; ++j) {
        nav.encode(&data[(500 + q * 32 + j) * dims], code.data());
        nav_block_put(block.data(), m, j, code.data());
      }
      float approx[kNavBlockEntries];
      nav.scan_block(table, block.data(), approx);
      for (size_t j = 0; j < kNavBlockEntries; ++j) {
        const double e = approx[j] - k.l2sq_f32(query, &data[(500 + q * 32 + j) * dims], dims);
        sum += e, squares += e * e;
      }
    }
    const double count = 20.0 * kNavBlockEntries;
    return std::sqrt(squares / count - (sum / count) * (sum / count));
  };
  std::printf("estimate error: plain %.1f, rotated %.1f\n", error(plain), error(rotated));
  EXPECT_LT(error(rotated), 0.9 * error(plain));  // 0.81 when written
}

// Rows like images: neighbouring dimensions move together (a first-order autoregression along the
// row), with an amplitude that is large in the middle dimensions and small at the ends.
std::vector<float> smooth_rows(size_t n, size_t dims, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> data(n * dims);
  for (size_t i = 0; i < n; ++i) {
    float v = 0;
    for (size_t d = 0; d < dims; ++d) {
      const float centre = (static_cast<float>(d) - static_cast<float>(dims) / 2) / static_cast<float>(dims);
      v = 0.9f * v + normal(rng);
      data[i * dims + d] = v * std::exp(-8.0f * centre * centre);
    }
  }
  return data;
}

// Unit rows around 20 random centres with uniform noise on every dimension (the TAP recall tests' data):
// here a rotation makes the estimates among near rows worse.
std::vector<float> isotropic_clusters(size_t n, size_t dims, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> centres(20 * dims), data(n * dims);
  for (auto& c : centres) c = uniform(rng);
  for (size_t i = 0; i < n; ++i) {
    float norm = 0;
    for (size_t d = 0; d < dims; ++d) {
      const float v = centres[(i % 20) * dims + d] + 0.25f * uniform(rng);
      data[i * dims + d] = v;
      norm += v * v;
    }
    for (size_t d = 0; d < dims; ++d) data[i * dims + d] /= std::sqrt(norm);
  }
  return data;
}

// estimate_error of codes trained without and with the rotation: {plain, rotated}.
std::pair<double, double> plain_and_rotated_error(const std::vector<float>& data, size_t dims, size_t m) {
  const size_t n = data.size() / dims;
  const NavQuantizer plain =
      NavQuantizer::train(data.data(), n, dims, m, 1, ComputeContext(), NavRotationChoice::kNever);
  const NavQuantizer rotated =
      NavQuantizer::train(data.data(), n, dims, m, 1, ComputeContext(), NavRotationChoice::kAlways);
  return {plain.estimate_error(data.data(), n), rotated.estimate_error(data.data(), n)};
}

TEST(NavRotation, TrainingKeepsTheRotationOnlyWhereItMeasuresBetter) {
  const std::vector<float> smooth = smooth_rows(4000, 96, 8);
  const auto [smooth_plain, smooth_rotated] = plain_and_rotated_error(smooth, 96, 12);
  std::printf("smooth rows: estimate_error plain %.3f, rotated %.3f\n", smooth_plain, smooth_rotated);
  EXPECT_GT(smooth_plain, 0.0);
  EXPECT_LT(smooth_rotated, smooth_plain);
  EXPECT_FALSE(NavQuantizer::train(smooth.data(), 4000, 96, 12, 1).rotation().empty());

  const std::vector<float> clusters = isotropic_clusters(4000, 128, 3);
  const auto [clusters_plain, clusters_rotated] = plain_and_rotated_error(clusters, 128, 16);
  std::printf("isotropic clusters: estimate_error plain %.3f, rotated %.3f\n", clusters_plain,
              clusters_rotated);
  EXPECT_GT(clusters_rotated, clusters_plain);
  EXPECT_TRUE(NavQuantizer::train(clusters.data(), 4000, 128, 16, 1).rotation().empty());
}

TEST(NavCodes, EstimateErrorIsZeroForExactCodesAndGrowsWithCoarserOnes) {
  // 16 distinct rows, each its own centroid in every subspace: estimates are exact up to the byte table's
  // rounding. The same rows with noise added are estimated less well.
  const size_t dims = 32, m = 16, copies = 50;
  std::mt19937 rng(11);
  std::normal_distribution<float> normal;
  std::vector<float> distinct(16 * dims), exact(16 * copies * dims), noisy(16 * copies * dims);
  for (auto& v : distinct) v = normal(rng);
  for (size_t i = 0; i < 16 * copies; ++i)
    for (size_t d = 0; d < dims; ++d) {
      exact[i * dims + d] = distinct[(i % 16) * dims + d];
      noisy[i * dims + d] = distinct[(i % 16) * dims + d] + 0.3f * normal(rng);
    }
  const size_t n = 16 * copies;
  const NavQuantizer a =
      NavQuantizer::train(exact.data(), n, dims, m, 1, ComputeContext(), NavRotationChoice::kNever);
  const NavQuantizer b =
      NavQuantizer::train(noisy.data(), n, dims, m, 1, ComputeContext(), NavRotationChoice::kNever);
  const double exact_error = a.estimate_error(exact.data(), n),
               noisy_error = b.estimate_error(noisy.data(), n);
  std::printf("estimate_error: exact codes %.4f, noisy rows %.4f\n", exact_error, noisy_error);
  EXPECT_LT(exact_error, 0.05);
  EXPECT_GT(noisy_error, 4 * exact_error);
}

}  // namespace
}  // namespace piramid::hnsw
