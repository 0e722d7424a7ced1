// Nearest-centroid assignment on the device: cuBLAS computes every row-centroid dot product of a block
// of rows, one warp per row takes the argmin. Shared by k-means, PQ and the assign_nearest entry point.
#pragma once

#include "common.cuh"

namespace piramid::gpu {

// |x|^2 of each of n rows (warp per row); with `inverse`, 1/|x| instead (0 for a zero row).
void row_norms(const float* x, int64_t n, int dim, int64_t row_stride, float* out, bool inverse);

// Centroids on the device with the per-centroid terms the argmin needs (|c|^2 for L2, 1/|c| for cosine).
class DeviceCentroids {
 public:
  // max_rows: the most rows one assign() call will pass (bounds the scratch for the products).
  DeviceCentroids(int k, int dim, int metric, int64_t max_rows);
  float* data() { return centroids_.get(); }
  int size() const { return k_; }
  int dim() const { return dim_; }
  // Recomputes the terms after the centroids changed.
  void refresh_terms();
  // Labels (and distance keys, as piramid::assign_nearest defines them, when `distance` is not null) of
  // n rows at x (row stride `row_stride` floats). row_norm2 (|x|^2, L2) and row_scale (1/|x|, cosine)
  // are per row and needed only for distances.
  void assign(const float* x, int64_t n, int64_t row_stride, const float* row_norm2, const float* row_scale,
              int32_t* labels, float* distance, const Hooks& hooks);

 private:
  int k_, dim_, metric_;
  int64_t block_rows_;
  DeviceBuffer<float> centroids_, term_, products_;
};

}  // namespace piramid::gpu
