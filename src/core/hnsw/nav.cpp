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

// estimate_error: probes among kErrorPoolRows sample rows, each against its kErrorNearest nearest.
constexpr size_t kErrorPoolRows = 4096;
constexpr size_t kErrorProbes = 64;
constexpr size_t kErrorNearest = 64;
// A rotation must cut the estimate error by this factor to be kept (it costs every query a rotation).
constexpr double kRotationMinGain = 0.97;

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

NavQuantizer::NavQuantizer(size_t dims, size_t m, std::vector<float> codebooks, NavRotation rotation)
    : dims_(dims), m_(m), dsub_((dims + m - 1) / m), codebooks_(std::move(codebooks)), rotation_(std::move(rotation)) {
  if (m_ == 0 || (m_ & 1) || codebooks_.size() != m_ * 16 * dsub_ ||
      (!rotation_.empty() && rotation_.padded() != m_ * dsub_))
    throw Error(ErrorKind::kIndexCorrupted, "navigation codebooks do not match their shape", {}, "REINDEX the index.");
  transposed_ = pq_transpose_codebooks(shape_of(m_, dsub_), codebooks_.data());
}

NavQuantizer NavQuantizer::train_with(const float* x, size_t n, size_t dims, size_t m, uint64_t seed,
                                      const ComputeContext& ctx, bool rotate) {
  const size_t dsub = (dims + m - 1) / m;
  const size_t padded = m * dsub;
  std::vector<float> rows(n * padded, 0.0f);
  for (size_t i = 0; i < n; ++i) std::memcpy(&rows[i * padded], x + i * dims, dims * sizeof(float));
  NavRotation rotation;
  if (rotate) {
    rotation = NavRotation::train(rows.data(), n, padded, dsub, nav_rotation_block_dims(dims, m));
    if (!rotation.empty()) {
      std::vector<float> rotated(padded);
      for (size_t i = 0; i < n; ++i) {
        rotation.apply(&rows[i * padded], rotated.data());
        std::memcpy(&rows[i * padded], rotated.data(), padded * sizeof(float));
      }
    }
  }
  std::vector<float> codebooks(m * 16 * dsub);
  PqTrainOptions options;
  options.iterations = 12;
  options.seed = seed;
  pq_train(shape_of(m, dsub), rows.data(), n, options, codebooks.data(), ctx);
  return NavQuantizer(dims, m, std::move(codebooks), std::move(rotation));
}

NavQuantizer NavQuantizer::train(const float* x, size_t n, size_t dims, size_t m, uint64_t seed,
                                 const ComputeContext& ctx, NavRotationChoice choice) {
  const bool may_rotate = nav_rotation_block_dims(dims, m) != 0;
  if (choice == NavRotationChoice::kNever || !may_rotate) return train_with(x, n, dims, m, seed, ctx, false);
  if (choice == NavRotationChoice::kAlways) return train_with(x, n, dims, m, seed, ctx, true);
  // kMeasure: a rotation helps on data whose variance is spread unevenly and smoothly over dimensions
  // (images, embeddings) and hurts on some clustered data, so keep whichever estimates better.
  NavQuantizer rotated = train_with(x, n, dims, m, seed, ctx, true);
  NavQuantizer plain = train_with(x, n, dims, m, seed, ctx, false);
  ctx.interrupt.check();
  const double rotated_error = rotated.estimate_error(x, n);
  const double plain_error = plain.estimate_error(x, n);
  return rotated_error < kRotationMinGain * plain_error ? std::move(rotated) : std::move(plain);
}

double NavQuantizer::estimate_error(const float* x, size_t n) const {
  const DistanceKernels& k = kernels();
  const size_t pool = std::min(n, kErrorPoolRows);
  const size_t probes = std::min(kErrorProbes, pool / 8);
  const size_t nearest = std::min<size_t>(kErrorNearest, pool - 1);
  if (probes == 0 || nearest < 2) return 0;
  // Pool rows spread over the sample, their codes, then per probe its nearest pool rows.
  std::vector<size_t> pool_rows(pool);
  for (size_t i = 0; i < pool; ++i) pool_rows[i] = i * n / pool;
  std::vector<uint8_t> codes(pool * code_bytes());
  for (size_t i = 0; i < pool; ++i) encode(x + pool_rows[i] * dims_, &codes[i * code_bytes()]);
  std::vector<std::pair<float, size_t>> distances(pool);
  std::vector<uint8_t> block(nav_block_bytes(m_));
  std::vector<const uint8_t*> members(kNavBlockEntries);
  float estimates[kNavBlockEntries];
  double total = 0;
  size_t counted = 0;
  for (size_t p = 0; p < probes; ++p) {
    const size_t probe = p * pool / probes;
    const float* q = x + pool_rows[probe] * dims_;
    for (size_t i = 0; i < pool; ++i)
      distances[i] = {i == probe ? std::numeric_limits<float>::infinity() : k.l2sq_f32(q, x + pool_rows[i] * dims_, dims_), i};
    std::partial_sort(distances.begin(), distances.begin() + static_cast<std::ptrdiff_t>(nearest), distances.end());
    const NavTable t = table(q, Metric::kL2);
    double sum_e = 0, sum_e2 = 0, sum_d = 0, sum_d2 = 0;
    for (size_t begin = 0; begin < nearest; begin += kNavBlockEntries) {
      const size_t count = std::min(kNavBlockEntries, nearest - begin);
      for (size_t j = 0; j < count; ++j) members[j] = &codes[distances[begin + j].second * code_bytes()];
      pq4_pack_block(members.data(), count, m_, block.data());
      scan_block(t, block.data(), estimates);
      for (size_t j = 0; j < count; ++j) {
        const double d = distances[begin + j].first, e = estimates[j] - d;
        sum_e += e, sum_e2 += e * e, sum_d += d, sum_d2 += d * d;
      }
    }
    const double c = static_cast<double>(nearest);
    const double var_e = sum_e2 / c - (sum_e / c) * (sum_e / c);
    const double var_d = sum_d2 / c - (sum_d / c) * (sum_d / c);
    if (var_d <= 0) continue;
    total += std::sqrt(std::max(var_e, 0.0) / var_d);
    ++counted;
  }
  return counted == 0 ? 0 : total / static_cast<double>(counted);
}

void NavQuantizer::project(const float* v, float* out) const {
  const size_t padded = m_ * dsub_;
  if (rotation_.empty()) {
    std::memcpy(out, v, dims_ * sizeof(float));
    std::fill(out + dims_, out + padded, 0.0f);
    return;
  }
  float stack[1024];
  std::vector<float> heap;
  float* in = stack;
  if (padded > 1024) heap.resize(padded), in = heap.data();
  std::memcpy(in, v, dims_ * sizeof(float));
  std::fill(in + dims_, in + padded, 0.0f);
  rotation_.apply(in, out);
}

void NavQuantizer::encode(const float* v, uint8_t* code) const {
  // One row: the nearest of 16 centroids per subspace, directly (pq_encode is built for batches).
  const DistanceKernels& k = kernels();
  std::vector<float> projected(m_ * dsub_);
  project(v, projected.data());
  std::memset(code, 0, code_bytes());
  for (size_t s = 0; s < m_; ++s) {
    const float* x = &projected[s * dsub_];
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
  std::vector<float> padded(m_ * dsub_);
  project(query, padded.data());
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
