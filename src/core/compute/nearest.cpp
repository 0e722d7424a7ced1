#include "nearest.h"

#include "gemm.h"
#include "piramid/distance.h"
#include "piramid/parallel.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>

namespace piramid::compute {

CentroidSet::CentroidSet(const float* centroids, size_t k, size_t dim, Metric metric)
    : centroids_(centroids), k_(k), dim_(dim), metric_(metric) {
  if (metric == Metric::kInnerProduct) return;
  const auto dot = kernels().dot_f32;
  term_.resize(k);
  for (size_t c = 0; c < k; ++c) {
    const float* row = centroids + c * dim;
    const float norm2 = dot(row, row, dim);
    if (metric == Metric::kL2) term_[c] = norm2;
    else term_[c] = norm2 > 0 ? 1.0f / std::sqrt(norm2) : 0.0f;
  }
}

size_t CentroidSet::block_rows() const {
  // About 4 MB of dot products per block, between 32 and 256 rows.
  const size_t rows = (size_t{1} << 20) / std::max<size_t>(k_, 1);
  return std::clamp<size_t>(rows, 32, 256);
}

void CentroidSet::assign_block(const float* x, size_t rows, const float* row_scale, float* scratch,
                               int32_t* labels, float* distance) const {
  gemm_abt(x, rows, dim_, centroids_, k_, dim_, scratch);
  const auto dot = kernels().dot_f32;
  for (size_t r = 0; r < rows; ++r) {
    const float* g = scratch + r * k_;
    size_t best = 0;
    float best_key = std::numeric_limits<float>::infinity();
    // Every metric becomes "smallest key wins"; strict < keeps the lowest centroid number on ties.
    if (metric_ == Metric::kL2) {
      for (size_t c = 0; c < k_; ++c) {
        const float key = term_[c] - 2.0f * g[c];
        if (key < best_key) best_key = key, best = c;
      }
    } else if (metric_ == Metric::kCosine) {
      for (size_t c = 0; c < k_; ++c) {
        const float key = -g[c] * term_[c];
        if (key < best_key) best_key = key, best = c;
      }
    } else {
      for (size_t c = 0; c < k_; ++c) {
        const float key = -g[c];
        if (key < best_key) best_key = key, best = c;
      }
    }
    if (!(best_key < std::numeric_limits<float>::infinity())) best = 0;  // NaN everywhere
    labels[r] = static_cast<int32_t>(best);
    if (distance == nullptr) continue;
    if (metric_ == Metric::kL2) {
      const float* row = x + r * dim_;
      distance[r] = std::max(0.0f, dot(row, row, dim_) + best_key);
    } else if (metric_ == Metric::kCosine) {
      const float scale = row_scale != nullptr ? row_scale[r] : 1.0f;
      distance[r] = 1.0f + best_key * scale;
    } else {
      distance[r] = best_key;
    }
  }
}

void assign_rows(const CentroidSet& centroids, const float* x, size_t n, const float* row_scale,
                 int32_t* labels, float* distance, const ComputeContext& ctx, bool report_progress) {
  const size_t block = centroids.block_rows();
  const int threads = worker_count(ctx.threads, (n + block - 1) / block);
  std::vector<std::vector<float>> scratch(threads);
  std::atomic<size_t> done{0};
  const size_t dim = centroids.dim();
  parallel_for(
      n, threads, block,
      [&](size_t begin, size_t end, int worker) {
        std::vector<float>& buffer = scratch[worker];
        if (buffer.empty()) buffer.resize(block * centroids.size());
        centroids.assign_block(x + begin * dim, end - begin, row_scale ? row_scale + begin : nullptr,
                               buffer.data(), labels + begin, distance ? distance + begin : nullptr);
        const size_t finished = done.fetch_add(end - begin) + (end - begin);
        if (report_progress && worker == 0) {
          ctx.report(ComputePhase::kAssign, static_cast<int64_t>(finished), static_cast<int64_t>(n));
        }
      },
      ctx.interrupt);
  if (report_progress) ctx.report(ComputePhase::kAssign, static_cast<int64_t>(n), static_cast<int64_t>(n));
}

std::vector<float> inverse_norms(const float* x, size_t n, size_t dim, const ComputeContext& ctx) {
  std::vector<float> scale(n);
  const auto dot = kernels().dot_f32;
  parallel_for(
      n, worker_count(ctx.threads, n / 4096 + 1), 4096,
      [&](size_t begin, size_t end, int) {
        for (size_t i = begin; i < end; ++i) {
          const float norm2 = dot(x + i * dim, x + i * dim, dim);
          scale[i] = norm2 > 0 ? 1.0f / std::sqrt(norm2) : 0.0f;
        }
      },
      ctx.interrupt);
  return scale;
}

}  // namespace piramid::compute
