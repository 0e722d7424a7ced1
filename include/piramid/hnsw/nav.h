// Navigation codes: a 4-bit product quantization of dense vectors, small enough to store next to every
// neighbour link. A search that reads one node then estimates its distance to all of that node's
// neighbours from the node's own page (one "fast scan" over a packed block of codes), and only reads the
// pages of the neighbours it decides to expand. Codes are navigation hints only: results are ordered by
// the precise distances of expanded nodes, then re-ranked exactly.
//
// Layout: vectors are zero-padded to m * dsub dims and rotated (nav_rotation.h; older indexes have no
// rotation), then cut into m subspaces of dsub consecutive dimensions, m even
// (about 8 dimensions each, at least 16 subspaces or one per dimension, at most 128);
// each subspace has 16 centroids. A code is m nibbles packed two per byte (pq_codes.h layout, 4 bits).
// Neighbour codes are stored in blocks of 32 (NavBlock): row s holds 16 bytes, byte t packing the
// sub-code s of entry t (low nibble) and of entry t + 16 (high nibble), which is what pq4_scan32 reads.
#pragma once

#include "piramid/compute/context.h"
#include "piramid/compute/pq4.h"
#include "piramid/hnsw/nav_rotation.h"
#include "piramid/metric.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace piramid::hnsw {

constexpr size_t kNavBlockEntries = kPq4BlockEntries;

// The number of subspaces for `dims` dimensions when a node's level-0 and level-1 lists (capacities
// 2 * links and links) together may spend at most `budget_bytes` on navigation blocks.
size_t nav_subspaces(size_t dims, int links, size_t budget_bytes);

// Bytes of a block of 32 codes with m subspaces, and of one code.
inline size_t nav_block_bytes(size_t m) { return m * 16; }
inline size_t nav_code_bytes(size_t m) { return m / 2; }
inline size_t nav_blocks(size_t entries) { return (entries + kNavBlockEntries - 1) / kNavBlockEntries; }

// Copies a code into / out of slot `slot` (0..31) of a block.
inline void nav_block_put(uint8_t* block, size_t m, size_t slot, const uint8_t* code) {
  pq4_block_put(block, m, slot, code);
}
inline void nav_block_get(const uint8_t* block, size_t m, size_t slot, uint8_t* code) {
  pq4_block_get(block, m, slot, code);
}

// A query's distances to navigation codes: approx = bias + scale * (sum of m uint8 table entries).
using NavTable = Pq4Table;

// Whether NavQuantizer::train rotates: always, never, or when it measures better estimates.
enum class NavRotationChoice { kMeasure, kAlways, kNever };

class NavQuantizer {
 public:
  NavQuantizer() = default;
  // From stored codebooks (m x 16 x dsub floats, in rotated coordinates) and rotation.
  NavQuantizer(size_t dims, size_t m, std::vector<float> codebooks, NavRotation rotation = NavRotation());

  // Trains on n vectors (rows of dims floats; unit length for cosine). Needs n >= 16. With kMeasure
  // (the default) it trains with and without the rotation and keeps the one whose estimates stray
  // less (estimate_error), the rotation only when it is clearly better.
  static NavQuantizer train(const float* x, size_t n, size_t dims, size_t m, uint64_t seed,
                            const ComputeContext& ctx = ComputeContext(),
                            NavRotationChoice choice = NavRotationChoice::kMeasure);

  // How far the estimates stray among near rows of x (n rows of dims floats): for probe rows, the
  // standard deviation of (estimated - true squared L2 distance) over their nearest rows, relative to
  // the standard deviation of those true distances; the mean over probes (0 = perfect ordering help).
  double estimate_error(const float* x, size_t n) const;

  size_t dims() const { return dims_; }
  size_t subspaces() const { return m_; }
  size_t dsub() const { return dsub_; }
  size_t code_bytes() const { return nav_code_bytes(m_); }
  const std::vector<float>& codebooks() const { return codebooks_; }
  const NavRotation& rotation() const { return rotation_; }

  void encode(const float* v, uint8_t* code) const;
  // Distance keys as the index orders them: squared L2 for L2 (and L1, as an estimate), negative inner
  // product for inner product and cosine (query and vectors unit length).
  NavTable table(const float* query, Metric metric) const;
  // Approximate keys of the 32 entries of a block (entries past the list's count are garbage).
  void scan_block(const NavTable& t, const uint8_t* block, float* out) const;

 private:
  static NavQuantizer train_with(const float* x, size_t n, size_t dims, size_t m, uint64_t seed,
                                 const ComputeContext& ctx, bool rotate);
  // v zero-padded to m * dsub dims and rotated, into out.
  void project(const float* v, float* out) const;

  size_t dims_ = 0, m_ = 0, dsub_ = 0;
  std::vector<float> codebooks_;
  NavRotation rotation_;
  std::vector<float> transposed_;  // codebooks_ as pq_transpose_codebooks lays them out, for table()
};

}  // namespace piramid::hnsw
