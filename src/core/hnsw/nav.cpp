#include "piramid/hnsw/nav.h"

#include "piramid/compute/pq.h"
#include "piramid/distance.h"
#include "piramid/error.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace piramid::hnsw {
namespace {

PqShape shape_of(size_t m, size_t dsub) { return PqShape{m * dsub, m, 4}; }

}  // namespace

size_t nav_subspaces(size_t dims, int links, size_t budget_bytes) {
  const size_t blocks = nav_blocks(2 * static_cast<size_t>(links)) + nav_blocks(static_cast<size_t>(links));
  // About 8 dimensions per subspace, but at least 16 subspaces (one per dimension below 16): few
  // subspaces of 16 centroids estimate low-dimensional distances too coarsely to steer a search.
  size_t m = std::min<size_t>(std::max<size_t>((dims + 7) / 8, std::min<size_t>(dims, 16)), 128);
  m = std::min(m, budget_bytes / (blocks * 16));                   // the lists' blocks fit the budget
  m = std::max<size_t>(2, m & ~size_t(1));                         // even, at least 2
  return m;
}

NavQuantizer::NavQuantizer(size_t dims, size_t m, std::vector<float> codebooks)
    : dims_(dims), m_(m), dsub_((dims + m - 1) / m), codebooks_(std::move(codebooks)) {
  if (m_ == 0 || (m_ & 1) || codebooks_.size() != m_ * 16 * dsub_)
    throw Error(ErrorKind::kIndexCorrupted, "navigation codebooks do not match their shape", {}, "REINDEX the index.");
  transposed_ = pq_transpose_codebooks(shape_of(m_, dsub_), codebooks_.data());
}

NavQuantizer NavQuantizer::train(const float* x, size_t n, size_t dims, size_t m, uint64_t seed,
                                 const ComputeContext& ctx) {
  const size_t dsub = (dims + m - 1) / m;
  const size_t padded = m * dsub;
  std::vector<float> rows(n * padded, 0.0f);
  for (size_t i = 0; i < n; ++i) std::memcpy(&rows[i * padded], x + i * dims, dims * sizeof(float));
  std::vector<float> codebooks(m * 16 * dsub);
  PqTrainOptions options;
  options.iterations = 12;
  options.seed = seed;
  pq_train(shape_of(m, dsub), rows.data(), n, options, codebooks.data(), ctx);
  return NavQuantizer(dims, m, std::move(codebooks));
}

void NavQuantizer::encode(const float* v, uint8_t* code) const {
  // One row: the nearest of 16 centroids per subspace, directly (pq_encode is built for batches).
  const DistanceKernels& k = kernels();
  std::vector<float> tail;
  std::memset(code, 0, code_bytes());
  for (size_t s = 0; s < m_; ++s) {
    const size_t begin = s * dsub_;
    const float* x = v + begin;
    if (begin + dsub_ > dims_) {  // the zero-padded last subspaces
      tail.assign(dsub_, 0.0f);
      if (begin < dims_) std::memcpy(tail.data(), v + begin, (dims_ - begin) * sizeof(float));
      x = tail.data();
    }
    const float* centroids = &codebooks_[s * 16 * dsub_];
    uint8_t best = 0;
    float best_distance = std::numeric_limits<float>::infinity();
    for (uint8_t c = 0; c < 16; ++c) {
      const float d = k.l2sq_f32(x, centroids + c * dsub_, dsub_);
      if (d < best_distance) best_distance = d, best = c;
    }
    code[s >> 1] = static_cast<uint8_t>(code[s >> 1] | (best << ((s & 1) * 4)));
  }
}

NavTable NavQuantizer::table(const float* query, Metric metric) const {
  std::vector<float> padded(m_ * dsub_, 0.0f);
  std::memcpy(padded.data(), query, dims_ * sizeof(float));
  std::vector<float> t(m_ * 16);
  const Metric table_metric = (metric == Metric::kL2 || metric == Metric::kL1) ? Metric::kL2 : Metric::kInnerProduct;
  pq_lookup_table_transposed(shape_of(m_, dsub_), transposed_.data(), padded.data(), table_metric, t.data());
  return pq4_quantize_table(t.data(), m_);
}

void NavQuantizer::scan_block(const NavTable& t, const uint8_t* block, float* out) const {
  uint16_t sums[kNavBlockEntries];
  kernels().pq4_scan32(t.lut.data(), block, m_, sums);
  for (size_t j = 0; j < kNavBlockEntries; ++j) out[j] = t.approx(sums[j]);
}

}  // namespace piramid::hnsw
