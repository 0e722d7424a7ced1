// k-means on the CPU: k-means++ seeding, Lloyd iterations with distances from an Eigen GEMM, empty
// clusters re-seeded from the largest cluster, and spherical k-means (unit centroids) for inner product
// and cosine. This is what the IVF index trains its lists with and what PQ trains each subspace with.
//
// Data is row-major float32 in caller memory (any alignment), n rows of `dim` values. Everything is
// deterministic for a seed and a thread count does not change the result.
#pragma once

#include "piramid/compute/context.h"
#include "piramid/metric.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace piramid {

struct KMeansOptions {
  size_t clusters = 0;
  // kL2: ordinary k-means. kInnerProduct: spherical k-means on the rows as given (assign by largest dot
  // product with unit centroids). kCosine: spherical k-means on the rows scaled to unit length (rows are
  // not modified; zero rows count as zero vectors).
  Metric metric = Metric::kL2;
  int iterations = 10;
  uint64_t seed = 1;
  // k-means++ seeds from min(n, clusters * init_rows_per_cluster) rows sampled with the seed
  // (0 = from every row). Seeding reads its rows once per cluster, so this bounds its cost.
  size_t init_rows_per_cluster = 16;
  // Stop early once an iteration improves the objective by less than this fraction (0 = never).
  double tolerance = 0;
  // Start from `initial_centroids` (clusters x dim) instead of k-means++ when not null.
  const float* initial_centroids = nullptr;
};

struct KMeansResult {
  std::vector<float> centroids;   // clusters x dim, row-major
  std::vector<double> objective;  // after each assignment: sum of the rows' distances (see assign_nearest)
  int iterations = 0;             // Lloyd iterations run
  size_t reseeded = 0;            // empty clusters re-seeded, over all iterations
};

// Trains `options.clusters` centroids on x. Throws Error(kInvalidParameter) for fewer rows than clusters,
// no clusters or dim 0, and Interrupted when ctx.interrupt fires (checked at least once per row block).
KMeansResult kmeans_train(const float* x, size_t n, size_t dim, const KMeansOptions& options,
                          const ComputeContext& ctx = ComputeContext());

// Only the k-means++ seeding: `clusters` rows of x chosen by D^2 sampling (unit length for kInnerProduct
// and kCosine), written to centroids (clusters x dim).
void kmeans_plusplus(const float* x, size_t n, size_t dim, size_t clusters, Metric metric, uint64_t seed,
                     size_t init_rows_per_cluster, float* centroids, const ComputeContext& ctx = ComputeContext());

// For each row of x, the nearest of k centroids (lowest number on ties) and, when `distance` is not null,
// its distance key: kL2 squared Euclidean distance, kInnerProduct the negative inner product, kCosine
// 1 - cosine similarity (centroids of any length). Uses every thread in ctx.
void assign_nearest(const float* x, size_t n, size_t dim, const float* centroids, size_t k, Metric metric,
                    int32_t* labels, float* distance, const ComputeContext& ctx = ComputeContext());

}  // namespace piramid
