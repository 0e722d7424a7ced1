// The rotation navigation codes apply before quantizing (nav.h).
//
// Product quantization cuts a vector into subspaces and quantizes each alone, so it does best when the
// subspaces are uncorrelated and carry about equal shares of the variance. Raw dimensions are neither:
// neighbouring pixels move together, border pixels barely move. NavRotation is a block-diagonal
// orthonormal matrix over the zero-padded vector (m subspaces x dsub dims): each block covers a few
// consecutive subspaces (about 96 dims), and its rows are the principal axes of the training sample
// within those dims, dealt to the block's subspaces so that each subspace's product of variances is about
// equal (the largest axes go to different subspaces). Orthonormal, so distances and inner products are
// unchanged; only how well 16 centroids per subspace describe the vectors changes. Rotating a query costs
// about 96 multiply-adds per dimension.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace piramid::hnsw {

// Dimensions per rotation block for vectors of `dims` dimensions cut into m subspaces (a multiple of
// dsub = ceil(dims / m)); 0 when navigation codes of that shape are not rotated (fewer than 4
// subspaces, or subspaces wider than 32 dims, where blocks would hold too few subspaces to mix).
size_t nav_rotation_block_dims(size_t dims, size_t m);
// Floats a rotation with blocks of `block_dims` stores for a padded width of `padded` dims.
size_t nav_rotation_floats(size_t padded, size_t block_dims);

class NavRotation {
 public:
  NavRotation() = default;  // no rotation
  // From stored matrices (nav_rotation_floats(padded, block_dims) floats; blocks in order, each a
  // row-major square matrix, the last block possibly smaller).
  NavRotation(size_t padded, size_t block_dims, std::vector<float> matrices);

  // The principal axes of n rows of `padded` floats, block by block, dealt to subspaces of dsub dims.
  static NavRotation train(const float* rows, size_t n, size_t padded, size_t dsub, size_t block_dims);

  bool empty() const { return block_dims_ == 0; }
  size_t block_dims() const { return block_dims_; }
  size_t padded() const { return padded_; }
  const std::vector<float>& matrices() const { return matrices_; }

  // out = R * in, both `padded` floats (must not alias), with R's entries rounded to binary16: reading
  // half the bytes makes rotating a query about twice as fast (the matrices are read from memory once
  // per query), and an entry's relative error of at most 2^-11 is far below the codes' own.
  void apply(const float* in, float* out) const;

 private:
  size_t padded_ = 0, block_dims_ = 0;
  std::vector<float> matrices_;   // as stored in the index
  std::vector<uint16_t> halves_;  // the same, binary16, for apply()
};

}  // namespace piramid::hnsw
