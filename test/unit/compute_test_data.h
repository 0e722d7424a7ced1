// Seeded test data for the compute-layer tests: planted clusters and plain random vectors.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace piramid::testing {

struct Planted {
  std::vector<float> x;        // n x dim
  std::vector<float> centers;  // k x dim
  std::vector<int32_t> label;  // true cluster of each row
};

// k well-separated centers (spread `spread`), rows scattered around them with noise `noise`.
inline Planted planted_clusters(size_t k, size_t per_cluster, size_t dim, float spread, float noise,
                                uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Planted p;
  p.centers.resize(k * dim);
  for (auto& v : p.centers) v = spread * normal(rng);
  const size_t n = k * per_cluster;
  p.x.resize(n * dim);
  p.label.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const size_t c = i % k;  // interleaved, so no cluster is a contiguous block
    p.label[i] = static_cast<int32_t>(c);
    for (size_t j = 0; j < dim; ++j) p.x[i * dim + j] = p.centers[c * dim + j] + noise * normal(rng);
  }
  return p;
}

inline std::vector<float> random_vectors(size_t n, size_t dim, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> x(n * dim);
  for (auto& v : x) v = u(rng);
  return x;
}

inline double l2sq(const float* a, const float* b, size_t dim) {
  double s = 0;
  for (size_t j = 0; j < dim; ++j) s += (static_cast<double>(a[j]) - b[j]) * (static_cast<double>(a[j]) - b[j]);
  return s;
}

inline double dot(const float* a, const float* b, size_t dim) {
  double s = 0;
  for (size_t j = 0; j < dim; ++j) s += static_cast<double>(a[j]) * b[j];
  return s;
}

}  // namespace piramid::testing
