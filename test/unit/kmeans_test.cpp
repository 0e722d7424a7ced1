// k-means: seeded determinism, planted clusters found, the objective falls, empty clusters re-seeded,
// spherical centroids stay unit length, assignment equals a naive nearest-centroid search.
#include "piramid/compute/kmeans.h"
#include "piramid/compute/kmeans_steps.h"

#include "compute_test_data.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <set>
#include <thread>

namespace piramid {
namespace {

using testing::dot;
using testing::l2sq;
using testing::planted_clusters;
using testing::random_vectors;

TEST(KMeans, PlusPlusIsDeterministicForASeed) {
  const auto x = random_vectors(2000, 16, 1);
  std::vector<float> a(32 * 16), b(32 * 16), c(32 * 16);
  kmeans_plusplus(x.data(), 2000, 16, 32, Metric::kL2, 7, 0, a.data());
  ComputeContext two;
  two.threads = 2;
  kmeans_plusplus(x.data(), 2000, 16, 32, Metric::kL2, 7, 0, b.data(), two);
  kmeans_plusplus(x.data(), 2000, 16, 32, Metric::kL2, 8, 0, c.data());
  EXPECT_EQ(a, b) << "same seed, different thread count";
  EXPECT_NE(a, c) << "another seed picks other rows";
  // Every seed is one of the rows.
  for (size_t s = 0; s < 32; ++s) {
    bool found = false;
    for (size_t i = 0; i < 2000 && !found; ++i) found = l2sq(&a[s * 16], &x[i * 16], 16) == 0;
    EXPECT_TRUE(found) << "seed " << s;
  }
}

TEST(KMeans, PlusPlusSeedsEveryPlantedCluster) {
  const auto p = planted_clusters(20, 50, 8, 10.0f, 0.1f, 2);
  std::vector<float> seeds(20 * 8);
  kmeans_plusplus(p.x.data(), 1000, 8, 20, Metric::kL2, 3, 0, seeds.data());
  std::set<size_t> hit;
  for (size_t s = 0; s < 20; ++s) {
    size_t best = 0;
    for (size_t c = 1; c < 20; ++c) {
      if (l2sq(&seeds[s * 8], &p.centers[c * 8], 8) < l2sq(&seeds[s * 8], &p.centers[best * 8], 8)) best = c;
    }
    hit.insert(best);
  }
  EXPECT_EQ(hit.size(), 20u) << "D^2 sampling lands one seed in each far-apart cluster";
}

TEST(KMeans, FindsPlantedClustersAndObjectiveFalls) {
  const size_t k = 16, dim = 24;
  const auto p = planted_clusters(k, 100, dim, 5.0f, 0.5f, 3);
  KMeansOptions o;
  o.clusters = k;
  o.iterations = 15;
  o.seed = 11;
  const KMeansResult r = kmeans_train(p.x.data(), k * 100, dim, o);
  ASSERT_EQ(r.iterations, 15);
  for (size_t i = 1; i < r.objective.size(); ++i) EXPECT_LE(r.objective[i], r.objective[i - 1] * (1 + 1e-6)) << i;
  EXPECT_LT(r.objective.back(), r.objective.front());
  // Every true center has a centroid close to it (noise 0.5 over 100 rows: the mean is within ~0.2).
  for (size_t c = 0; c < k; ++c) {
    double best = 1e30;
    for (size_t s = 0; s < k; ++s) best = std::min(best, l2sq(&p.centers[c * dim], &r.centroids[s * dim], dim));
    EXPECT_LT(std::sqrt(best), 0.3) << "planted cluster " << c;
  }
}

TEST(KMeans, ResultDoesNotDependOnThreads) {
  const auto x = random_vectors(3000, 12, 4);
  KMeansOptions o;
  o.clusters = 40;
  o.iterations = 5;
  ComputeContext one, three;
  one.threads = 1;
  three.threads = 3;
  EXPECT_EQ(kmeans_train(x.data(), 3000, 12, o, one).centroids, kmeans_train(x.data(), 3000, 12, o, three).centroids);
}

TEST(KMeans, ReseedsEmptyClustersFromTheLargest) {
  // Two far groups and three initial centroids, one of them far from everything: it gets no row in the
  // first assignment and must be re-seeded from the largest cluster instead of staying empty.
  const size_t dim = 2;
  std::vector<float> x;
  for (int i = 0; i < 60; ++i) x.insert(x.end(), {static_cast<float>(i % 10) * 0.01f, 0.0f});
  for (int i = 0; i < 20; ++i) x.insert(x.end(), {10.0f + static_cast<float>(i % 5) * 0.01f, 0.0f});
  const float init[] = {0.0f, 0.0f, 10.0f, 0.0f, 1000.0f, 1000.0f};
  KMeansOptions o;
  o.clusters = 3;
  o.iterations = 3;
  o.initial_centroids = init;
  const KMeansResult r = kmeans_train(x.data(), 80, dim, o);
  EXPECT_GE(r.reseeded, 1u);
  std::vector<int32_t> labels(80);
  assign_nearest(x.data(), 80, dim, r.centroids.data(), 3, Metric::kL2, labels.data(), nullptr);
  std::vector<int> counts(3);
  for (int32_t l : labels) counts[l]++;
  for (int c = 0; c < 3; ++c) EXPECT_GT(counts[c], 0) << "cluster " << c << " is empty";
  EXPECT_LT(r.centroids[2 * dim], 100.0f) << "the far centroid moved into the data";
}

TEST(KMeans, ReseedStepPicksTheFarthestRowOfTheLargestCluster) {
  int32_t labels[] = {0, 0, 0, 2, 2};
  float distance[] = {1.0f, 5.0f, 2.0f, 9.0f, 1.0f};
  int64_t counts[] = {3, 0, 2};
  EXPECT_EQ(reseed_empty_clusters(labels, distance, 5, counts, 3), 1u);
  EXPECT_EQ(labels[1], 1);
  EXPECT_EQ(counts[0], 2);
  EXPECT_EQ(counts[1], 1);
}

TEST(KMeans, SphericalCentroidsHaveUnitNorm) {
  const auto x = random_vectors(1500, 10, 5);
  for (Metric metric : {Metric::kInnerProduct, Metric::kCosine}) {
    KMeansOptions o;
    o.clusters = 12;
    o.metric = metric;
    o.iterations = 6;
    const KMeansResult r = kmeans_train(x.data(), 1500, 10, o);
    for (size_t c = 0; c < 12; ++c) {
      EXPECT_NEAR(std::sqrt(dot(&r.centroids[c * 10], &r.centroids[c * 10], 10)), 1.0, 1e-5) << metric_name(metric);
    }
    // The spherical objective (sum of 1 - cos for kCosine) never rises.
    for (size_t i = 1; i < r.objective.size(); ++i) {
      EXPECT_LE(r.objective[i], r.objective[i - 1] + 1e-3 * std::fabs(r.objective[i - 1])) << metric_name(metric);
    }
  }
}

TEST(KMeans, AssignNearestMatchesNaiveSearch) {
  const size_t n = 700, dim = 33, k = 37;
  const auto x = random_vectors(n, dim, 6);
  const auto c = random_vectors(k, dim, 7);
  for (Metric metric : {Metric::kL2, Metric::kInnerProduct, Metric::kCosine}) {
    std::vector<int32_t> labels(n);
    std::vector<float> distance(n);
    assign_nearest(x.data(), n, dim, c.data(), k, metric, labels.data(), distance.data());
    size_t mismatches = 0;
    for (size_t i = 0; i < n; ++i) {
      const float* row = &x[i * dim];
      auto key = [&](size_t s) {
        const float* cs = &c[s * dim];
        if (metric == Metric::kL2) return l2sq(row, cs, dim);
        if (metric == Metric::kInnerProduct) return -dot(row, cs, dim);
        return 1 - dot(row, cs, dim) / std::sqrt(dot(row, row, dim) * dot(cs, cs, dim));
      };
      size_t best = 0;
      for (size_t s = 1; s < k; ++s) {
        if (key(s) < key(best)) best = s;
      }
      // Float GEMM may swap two centroids whose keys are within rounding; that is the only excuse.
      if (labels[i] != static_cast<int32_t>(best)) {
        ++mismatches;
        EXPECT_NEAR(key(labels[i]), key(best), 1e-4) << metric_name(metric) << " row " << i;
      }
      EXPECT_NEAR(distance[i], key(best), 1e-3 * (1 + std::fabs(key(best)))) << metric_name(metric) << " row " << i;
    }
    EXPECT_LE(mismatches, 2u) << metric_name(metric);
  }
}

TEST(KMeans, RejectsBadShapesAndStopsOnInterrupt) {
  const auto x = random_vectors(10, 4, 8);
  KMeansOptions o;
  o.clusters = 11;
  EXPECT_THROW(kmeans_train(x.data(), 10, 4, o), Error);
  o.clusters = 0;
  EXPECT_THROW(kmeans_train(x.data(), 10, 4, o), Error);

  const auto big = random_vectors(20000, 8, 9);
  std::atomic<int> polls{0};
  ComputeContext ctx;
  ctx.interrupt = InterruptCheck([](void* p) { return ++*static_cast<std::atomic<int>*>(p) > 3; }, &polls);
  o.clusters = 50;
  EXPECT_THROW(kmeans_train(big.data(), 20000, 8, o, ctx), Interrupted);
}

TEST(KMeans, ReportsProgressOnTheCallingThread) {
  const auto x = random_vectors(2000, 8, 10);
  KMeansOptions o;
  o.clusters = 20;
  o.iterations = 4;
  ComputeContext ctx;
  ctx.threads = 2;
  int iterations = 0, seeds = 0;
  bool other_thread = false;
  const auto caller = std::this_thread::get_id();
  ctx.progress = [&](ComputePhase phase, int64_t done, int64_t total) {
    other_thread |= std::this_thread::get_id() != caller;
    if (phase == ComputePhase::kKMeansIterate) {
      iterations = static_cast<int>(done);
      EXPECT_EQ(total, 4);
    }
    if (phase == ComputePhase::kKMeansInit) seeds = static_cast<int>(done);
  };
  kmeans_train(x.data(), 2000, 8, o, ctx);
  EXPECT_EQ(iterations, 4);
  EXPECT_EQ(seeds, 20);
  EXPECT_FALSE(other_thread);
}

}  // namespace
}  // namespace piramid
