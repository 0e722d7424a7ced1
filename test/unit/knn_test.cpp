// Exact k-NN equals a naive reference for f32 and f16 bases, every metric, streamed in chunks or not,
// with ids given or counted, and fewer rows than k.
#include "piramid/compute/knn.h"
#include "piramid/half.h"

#include "compute_test_data.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace piramid {
namespace {

using testing::dot;
using testing::l2sq;
using testing::random_vectors;

double reference_distance(Metric metric, const float* q, const float* v, size_t dim) {
  if (metric == Metric::kL2) return std::sqrt(l2sq(q, v, dim));
  if (metric == Metric::kInnerProduct) return -dot(q, v, dim);
  return 1 - dot(q, v, dim) / std::sqrt(dot(q, q, dim) * dot(v, v, dim));
}

void check_against_reference(const std::vector<float>& base, size_t n, size_t dim, const std::vector<float>& queries,
                             size_t nq, Metric metric, size_t k, const std::vector<int64_t>& ids,
                             const std::vector<double>& dist) {
  for (size_t q = 0; q < nq; ++q) {
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::vector<double> d(n);
    for (size_t i = 0; i < n; ++i) d[i] = reference_distance(metric, &queries[q * dim], &base[i * dim], dim);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return d[a] < d[b]; });
    for (size_t r = 0; r < k; ++r) {
      if (r >= n) {
        EXPECT_EQ(ids[q * k + r], -1);
        EXPECT_TRUE(std::isinf(dist[q * k + r]));
        continue;
      }
      // Random data has no ties closer than float rounding, so the ids must be the reference's.
      EXPECT_EQ(ids[q * k + r], static_cast<int64_t>(order[r])) << metric_name(metric) << " q " << q << " rank " << r;
      EXPECT_NEAR(dist[q * k + r], d[order[r]], 1e-4 * (1 + std::fabs(d[order[r]])));
    }
  }
}

TEST(ExactKnn, MatchesNaiveSearchF32) {
  const size_t n = 1500, dim = 37, nq = 7, k = 10;
  const auto base = random_vectors(n, dim, 1);
  const auto queries = random_vectors(nq, dim, 2);
  for (Metric metric : {Metric::kL2, Metric::kInnerProduct, Metric::kCosine}) {
    for (int threads : {1, 3}) {
      std::vector<int64_t> ids(nq * k);
      std::vector<double> dist(nq * k);
      ComputeContext ctx;
      ctx.threads = threads;
      exact_knn(queries.data(), nq, base.data(), VectorType::kF32, n, dim, metric, k, ids.data(), dist.data(), ctx);
      check_against_reference(base, n, dim, queries, nq, metric, k, ids, dist);
    }
  }
}

TEST(ExactKnn, MatchesNaiveSearchF16InChunksWithIds) {
  const size_t n = 999, dim = 20, nq = 3, k = 5;
  auto base = random_vectors(n, dim, 3);
  std::vector<uint16_t> half(n * dim);
  for (size_t i = 0; i < n * dim; ++i) half[i] = float_to_half(base[i]), base[i] = half_to_float(half[i]);
  const auto queries = random_vectors(nq, dim, 4);
  std::vector<int64_t> row_ids(n);
  for (size_t i = 0; i < n; ++i) row_ids[i] = static_cast<int64_t>(i) * 10 + 7;
  for (Metric metric : {Metric::kL2, Metric::kInnerProduct, Metric::kCosine}) {
    ExactKnn knn(queries.data(), nq, dim, metric, k, ComputeContext());
    for (size_t at = 0; at < n; at += 250) {
      const size_t rows = std::min<size_t>(250, n - at);
      knn.add(half.data() + at * dim, VectorType::kF16, rows, row_ids.data() + at);
    }
    EXPECT_EQ(knn.rows_seen(), n);
    std::vector<int64_t> ids(nq * k);
    std::vector<double> dist(nq * k);
    knn.result(ids.data(), dist.data());
    for (auto& id : ids) id = (id - 7) / 10;  // back to row numbers for the reference
    check_against_reference(base, n, dim, queries, nq, metric, k, ids, dist);
  }
}

TEST(ExactKnn, FewerRowsThanKAndZeroVectors) {
  const size_t dim = 4;
  const std::vector<float> base = {1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0};
  const std::vector<float> query = {1, 1, 0, 0};
  std::vector<int64_t> ids(5);
  std::vector<double> dist(5);
  exact_knn(query.data(), 1, base.data(), VectorType::kF32, 3, dim, Metric::kCosine, 5, ids.data(), dist.data());
  EXPECT_EQ(ids[0], 0);  // cos 0.707 ties with row 2; the lower id comes first
  EXPECT_EQ(ids[1], 2);
  EXPECT_EQ(ids[2], 1);  // the zero vector: NaN distance, after every number
  EXPECT_TRUE(std::isnan(dist[2]));
  EXPECT_EQ(ids[3], -1);
  EXPECT_EQ(ids[4], -1);
}

TEST(ExactKnn, RejectsBadArguments) {
  const std::vector<float> q(4);
  EXPECT_THROW(ExactKnn(q.data(), 1, 4, Metric::kL2, 0, ComputeContext()), Error);
  EXPECT_THROW(ExactKnn(q.data(), 1, 0, Metric::kL2, 3, ComputeContext()), Error);
  EXPECT_THROW(ExactKnn(q.data(), 1, 4, Metric::kHamming, 3, ComputeContext()), Error);
}

}  // namespace
}  // namespace piramid
