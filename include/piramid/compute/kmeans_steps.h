// The host-side steps of k-means that both backends must take identically: which rows seed k-means++,
// which row each k-means++ draw picks, and how an empty cluster is re-seeded. Header-only and free of
// SIMD, so the GPU library's host code compiles the very same logic and, given the same distances, makes
// the same choices as the CPU backend.
#pragma once

#include "piramid/compute/random.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace piramid {

// `count` distinct row numbers out of [0, n), in increasing order (Knuth's selection sampling: one pass,
// no index array of size n, deterministic for a seed).
inline std::vector<uint32_t> sample_rows(size_t n, size_t count, SplitMix64& rng) {
  std::vector<uint32_t> rows;
  if (count >= n) {
    rows.resize(n);
    for (size_t i = 0; i < n; ++i) rows[i] = static_cast<uint32_t>(i);
    return rows;
  }
  rows.reserve(count);
  for (size_t i = 0; i < n && rows.size() < count; ++i) {
    const size_t left = n - i, wanted = count - rows.size();
    if (rng.uniform() * static_cast<double>(left) < static_cast<double>(wanted)) rows.push_back(static_cast<uint32_t>(i));
  }
  return rows;
}

// The k-means++ draw: row i with probability weight[i] / sum(weight), for u uniform in [0, 1). Sums run
// in double in row order so both backends agree exactly for equal weights. When every weight is zero
// (fewer distinct rows than clusters) the draw is uniform.
inline size_t pick_weighted(const float* weight, size_t n, double u) {
  double total = 0;
  for (size_t i = 0; i < n; ++i) total += weight[i];
  if (!(total > 0)) return std::min(n - 1, static_cast<size_t>(u * static_cast<double>(n)));
  const double target = u * total;
  double sum = 0;
  size_t last_positive = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!(weight[i] > 0)) continue;
    sum += weight[i];
    last_positive = i;
    if (sum > target) return i;
  }
  return last_positive;  // rounding left target just above the final sum
}

// Gives every empty cluster one row: the row farthest from its centroid in the currently largest cluster
// (lowest number on ties). labels, distance and counts are updated in place; returns how many clusters
// were re-seeded. A cluster stays empty only when no cluster has two rows left to give.
inline size_t reseed_empty_clusters(int32_t* labels, float* distance, size_t n, int64_t* counts, size_t k) {
  size_t reseeded = 0;
  for (size_t e = 0; e < k; ++e) {
    if (counts[e] != 0) continue;
    size_t largest = 0;
    for (size_t c = 1; c < k; ++c) {
      if (counts[c] > counts[largest]) largest = c;
    }
    if (counts[largest] < 2) break;
    size_t far = n;
    for (size_t i = 0; i < n; ++i) {
      if (labels[i] != static_cast<int32_t>(largest)) continue;
      if (far == n || distance[i] > distance[far]) far = i;
    }
    labels[far] = static_cast<int32_t>(e);
    distance[far] = 0;
    counts[largest]--;
    counts[e] = 1;
    ++reseeded;
  }
  return reseeded;
}

// Scales a row to unit length (norm summed in double, in order); a zero row stays zero. Returns false for
// a zero row. Spherical centroids are made unit this way on both backends.
inline bool normalize_row(float* v, size_t dim) {
  double norm2 = 0;
  for (size_t j = 0; j < dim; ++j) norm2 += static_cast<double>(v[j]) * v[j];
  if (!(norm2 > 0)) return false;
  const float scale = static_cast<float>(1.0 / std::sqrt(norm2));
  for (size_t j = 0; j < dim; ++j) v[j] *= scale;
  return true;
}

// How many rows k-means++ seeds from: every row for small inputs, otherwise `per_cluster` rows per
// cluster (k-means++ reads its whole input once per cluster; Lloyd iterations then use every row).
inline size_t init_sample_size(size_t n, size_t k, size_t per_cluster) {
  if (per_cluster == 0) return n;
  const size_t want = k * per_cluster;
  return want < n ? want : n;
}

}  // namespace piramid
