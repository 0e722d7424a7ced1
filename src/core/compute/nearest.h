// Nearest-centroid search for many rows at once, shared by k-means, PQ encoding and assign_nearest:
// a GEMM gives every row-centroid dot product of a block of rows, an argmin per row picks the centroid.
#pragma once

#include "piramid/compute/context.h"
#include "piramid/metric.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace piramid::compute {

// Per-centroid values the argmin needs, computed once per set of centroids.
class CentroidSet {
 public:
  // For kL2 keeps |c|^2, for kCosine 1/|c| (0 for a zero centroid); kInnerProduct needs nothing.
  CentroidSet(const float* centroids, size_t k, size_t dim, Metric metric);

  const float* data() const { return centroids_; }
  size_t size() const { return k_; }
  size_t dim() const { return dim_; }
  Metric metric() const { return metric_; }

  // Labels and distance keys (as assign_nearest defines them) of `rows` rows starting at x. `row_scale`
  // (per row, may be null) is 1/|x| for kCosine. scratch must hold block_rows() * size() floats.
  void assign_block(const float* x, size_t rows, const float* row_scale, float* scratch, int32_t* labels,
                    float* distance) const;

  // Rows per GEMM block: large enough to amortise packing the centroids, small enough for the cache.
  size_t block_rows() const;

 private:
  const float* centroids_;
  size_t k_, dim_;
  Metric metric_;
  std::vector<float> term_;  // |c|^2 (kL2) or 1/|c| (kCosine)
};

// Assigns rows [0, n) of x with every thread of ctx. With `report_progress` the calling thread reports
// ComputePhase::kAssign progress.
void assign_rows(const CentroidSet& centroids, const float* x, size_t n, const float* row_scale,
                 int32_t* labels, float* distance, const ComputeContext& ctx, bool report_progress);

// 1/|x| per row (0 for a zero row), on every thread of ctx.
std::vector<float> inverse_norms(const float* x, size_t n, size_t dim, const ComputeContext& ctx);

}  // namespace piramid::compute
