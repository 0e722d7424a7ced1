#include "piramid/hnsw/nav_rotation.h"

#include "../compute/gemm.h"
#include "piramid/compute/symmetric_eigen.h"
#include "piramid/distance.h"
#include "piramid/error.h"
#include "piramid/half.h"

#include <algorithm>
#include <cmath>

namespace piramid::hnsw {
namespace {

constexpr size_t kTargetBlockDims = 96;
constexpr size_t kMaxRotatedDsub = 32;

// The rows of one block's matrix: eigenvectors (largest eigenvalue first) dealt to `subspaces` groups of
// dsub rows. Each goes to the group, among those not yet full, whose product of variances is smallest,
// counted as logs relative to a floor so that a group with nothing yet counts as smallest.
std::vector<size_t> deal_axes(const std::vector<double>& values, size_t subspaces, size_t dsub) {
  const size_t n = values.size();
  const double largest = std::max(values.empty() ? 0.0 : values[0], 0.0);
  const double floor = largest > 0 ? largest * 1e-9 : 1.0;
  std::vector<double> log_product(subspaces, 0.0);
  std::vector<size_t> filled(subspaces, 0), position(n);
  for (size_t axis = 0; axis < n; ++axis) {
    size_t best = subspaces;
    for (size_t s = 0; s < subspaces; ++s)
      if (filled[s] < dsub && (best == subspaces || log_product[s] < log_product[best])) best = s;
    position[axis] = best * dsub + filled[best]++;
    log_product[best] += std::log(std::max(values[axis], floor) / floor);
  }
  return position;
}

}  // namespace

size_t nav_rotation_block_dims(size_t dims, size_t m) {
  if (m < 4 || dims == 0) return 0;
  const size_t dsub = (dims + m - 1) / m;
  if (dsub > kMaxRotatedDsub) return 0;
  // Subspaces per block near kTargetBlockDims, then evened out over the blocks that takes.
  size_t per_block = std::max<size_t>(2, (kTargetBlockDims + dsub / 2) / dsub);
  per_block = std::min(per_block, m);
  const size_t blocks = (m + per_block - 1) / per_block;
  per_block = (m + blocks - 1) / blocks;
  return per_block * dsub;
}

size_t nav_rotation_floats(size_t padded, size_t block_dims) {
  if (block_dims == 0) return 0;
  size_t total = 0;
  for (size_t begin = 0; begin < padded; begin += block_dims) {
    const size_t n = std::min(block_dims, padded - begin);
    total += n * n;
  }
  return total;
}

NavRotation::NavRotation(size_t padded, size_t block_dims, std::vector<float> matrices)
    : padded_(padded), block_dims_(block_dims), matrices_(std::move(matrices)) {
  if (block_dims_ != 0 && matrices_.size() != nav_rotation_floats(padded_, block_dims_))
    throw Error(ErrorKind::kIndexCorrupted, "navigation rotation does not match its shape", {},
                "REINDEX the index.");
  halves_.resize(matrices_.size());
  for (size_t i = 0; i < matrices_.size(); ++i) halves_[i] = float_to_half(matrices_[i]);
}

NavRotation NavRotation::train(const float* rows, size_t n, size_t padded, size_t dsub, size_t block_dims) {
  if (block_dims == 0 || n == 0) return NavRotation();
  std::vector<float> matrices;
  matrices.reserve(nav_rotation_floats(padded, block_dims));
  std::vector<float> columns, covariance;
  for (size_t begin = 0; begin < padded; begin += block_dims) {
    const size_t width = std::min(block_dims, padded - begin);
    // The block's columns, centred, as rows (width x n), so that one A * A^T gives the covariance.
    columns.assign(width * n, 0.0f);
    for (size_t d = 0; d < width; ++d) {
      double mean = 0;
      for (size_t i = 0; i < n; ++i) mean += rows[i * padded + begin + d];
      mean /= static_cast<double>(n);
      for (size_t i = 0; i < n; ++i)
        columns[d * n + i] = static_cast<float>(rows[i * padded + begin + d] - mean);
    }
    covariance.assign(width * width, 0.0f);
    compute::gemm_abt(columns.data(), width, n, columns.data(), width, n, covariance.data());
    const SymmetricEigen eig =
        symmetric_eigen(std::vector<double>(covariance.begin(), covariance.end()), width);
    const std::vector<size_t> position = deal_axes(eig.values, width / dsub, dsub);
    std::vector<float> block(width * width);
    for (size_t axis = 0; axis < width; ++axis)
      for (size_t k = 0; k < width; ++k)
        block[position[axis] * width + k] = static_cast<float>(eig.vectors[axis * width + k]);
    matrices.insert(matrices.end(), block.begin(), block.end());
  }
  return NavRotation(padded, block_dims, std::move(matrices));
}

void NavRotation::apply(const float* in, float* out) const {
  const DistanceKernels& k = kernels();
  const uint16_t* matrix = halves_.data();
  for (size_t begin = 0; begin < padded_; begin += block_dims_) {
    const size_t width = std::min(block_dims_, padded_ - begin);
    k.dots_f16(in + begin, matrix, width, width, out + begin);
    matrix += width * width;
  }
}

}  // namespace piramid::hnsw
