// k-means on the device, step for step the CPU algorithm (src/core/compute/kmeans.cpp): the same rows
// sampled for k-means++, the same D^2 draws (made on the host from distances computed on the device),
// the same re-seeding and the same centroid sums in double, in row order. Distances come from cuBLAS, so
// results equal the CPU's up to float rounding in near ties.
#pragma once

#include "common.cuh"

namespace piramid::gpu {

struct KMeansInput {
  const float* host_x;   // the rows in host memory (seed points are taken from here)
  int64_t host_stride;   // floats from one host row to the next (a PQ subspace is a column slice)
  const float* device_x;  // the same rows on the device, contiguous n x dim
  int64_t n;
  int dim;
};

// Trains params.clusters centroids into `centroids` (host, clusters x dim; holds the initial centroids on
// entry with PMD_KMEANS_GIVEN_INIT). With `report`, progress goes to hooks.
void kmeans_on_device(const KMeansInput& in, const pmd_kmeans_params& params, float* centroids,
                      pmd_kmeans_stats* stats, const Hooks& hooks, bool report);

}  // namespace piramid::gpu
