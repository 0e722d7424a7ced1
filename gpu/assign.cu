#include "assign.cuh"

#include <algorithm>
#include <cfloat>
#include <climits>

namespace piramid::gpu {
namespace {

constexpr unsigned kWarpsPerBlock = 8;

__device__ inline float warp_sum(float v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

__global__ void row_norms_kernel(const float* x, int64_t n, int dim, int64_t stride, float* out, bool inverse) {
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= n) return;
  const float* r = x + row * stride;
  float s = 0;
  for (int j = lane; j < dim; j += 32) s = fmaf(r[j], r[j], s);
  s = warp_sum(s);
  if (lane == 0) out[row] = inverse ? (s > 0 ? 1.0f / sqrtf(s) : 0.0f) : s;
}

// Smallest (key, index) of the warp, lowest index on equal keys.
__device__ inline void warp_argmin(float& key, int& index) {
  for (int offset = 16; offset > 0; offset >>= 1) {
    const float k2 = __shfl_xor_sync(0xffffffffu, key, offset);
    const int i2 = __shfl_xor_sync(0xffffffffu, index, offset);
    if (k2 < key || (k2 == key && i2 < index)) key = k2, index = i2;
  }
}

// products: column-major k x rows (row r's dot products with every centroid are contiguous).
__global__ void argmin_kernel(const float* products, int64_t rows, int k, int metric, const float* term,
                              const float* row_norm2, const float* row_scale, int32_t* labels, float* distance) {
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= rows) return;
  const float* g = products + row * k;
  float best = INFINITY;
  int best_index = INT_MAX;
  for (int c = lane; c < k; c += 32) {
    float key;
    if (metric == PMD_METRIC_L2) key = term[c] - 2.0f * g[c];
    else if (metric == PMD_METRIC_COSINE) key = -g[c] * term[c];
    else key = -g[c];
    if (key < best) best = key, best_index = c;  // NaN keys never win, as on the CPU
  }
  warp_argmin(best, best_index);
  if (lane != 0) return;
  if (best_index == INT_MAX) best_index = 0;  // every key NaN or infinite
  labels[row] = best_index;
  if (distance == nullptr) return;
  if (metric == PMD_METRIC_L2) distance[row] = fmaxf(0.0f, row_norm2[row] + best);
  else if (metric == PMD_METRIC_COSINE) distance[row] = 1.0f + best * row_scale[row];
  else distance[row] = best;
}

__global__ void centroid_terms_kernel(const float* c, int k, int dim, int metric, float* term) {
  const int row = blockIdx.x * kWarpsPerBlock + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= k) return;
  float s = 0;
  for (int j = lane; j < dim; j += 32) s = fmaf(c[static_cast<int64_t>(row) * dim + j], c[static_cast<int64_t>(row) * dim + j], s);
  s = warp_sum(s);
  if (lane != 0) return;
  term[row] = metric == PMD_METRIC_L2 ? s : (s > 0 ? 1.0f / sqrtf(s) : 0.0f);
}

}  // namespace

void row_norms(const float* x, int64_t n, int dim, int64_t row_stride, float* out, bool inverse) {
  if (n == 0) return;
  row_norms_kernel<<<blocks_for(n, kWarpsPerBlock), kWarpsPerBlock * 32, 0, current_device().stream>>>(
      x, n, dim, row_stride, out, inverse);
  check_launch("row_norms");
}

DeviceCentroids::DeviceCentroids(int k, int dim, int metric, int64_t max_rows)
    : k_(k), dim_(dim), metric_(metric), centroids_(static_cast<size_t>(k) * dim), term_(k) {
  // About 256 MB of dot products per block: big enough to keep the GPU busy, small enough to fit.
  block_rows_ = std::max<int64_t>(256, (int64_t{64} << 20) / std::max(k, 1));
  block_rows_ = std::max<int64_t>(1, std::min(block_rows_, max_rows));
  products_.allocate(static_cast<size_t>(block_rows_) * k);
}

void DeviceCentroids::refresh_terms() {
  if (metric_ == PMD_METRIC_INNER_PRODUCT) return;
  centroid_terms_kernel<<<blocks_for(k_, kWarpsPerBlock), kWarpsPerBlock * 32, 0, current_device().stream>>>(
      centroids_.get(), k_, dim_, metric_, term_.get());
  check_launch("centroid_terms");
}

void DeviceCentroids::assign(const float* x, int64_t n, int64_t row_stride, const float* row_norm2,
                             const float* row_scale, int32_t* labels, float* distance, const Hooks& hooks) {
  Device& d = current_device();
  for (int64_t begin = 0; begin < n; begin += block_rows_) {
    hooks.check_interrupt();
    const int64_t rows = std::min(block_rows_, n - begin);
    // Column-major view: products (k x rows) = centroids^T (k x dim) * x_block (dim x rows).
    gemm_tn(k_, static_cast<int>(rows), dim_, centroids_.get(), dim_, x + begin * row_stride,
            static_cast<int>(row_stride), products_.get(), k_, "cuBLAS SGEMM (assignment)");
    argmin_kernel<<<blocks_for(rows, kWarpsPerBlock), kWarpsPerBlock * 32, 0, d.stream>>>(
        products_.get(), rows, k_, metric_, term_.get(), row_norm2 ? row_norm2 + begin : nullptr,
        row_scale ? row_scale + begin : nullptr, labels + begin, distance ? distance + begin : nullptr);
    check_launch("argmin");
  }
}

}  // namespace piramid::gpu
