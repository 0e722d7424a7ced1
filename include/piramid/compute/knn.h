// Exact (brute-force) k-nearest-neighbour search: every query against every base vector, f32 or f16
// base vectors, L2 / inner product / cosine. It is streaming, so a caller can feed the base in chunks as
// it reads them (a table scan) and keep only queries x k results in memory.
#pragma once

#include "piramid/compute/context.h"
#include "piramid/metric.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace piramid {

enum class VectorType : int32_t { kF32 = 0, kF16 = 1 };  // f16: IEEE binary16 bits, as halfvec stores them

// The order of k-NN results: by distance, NaN after every number (as Postgres sorts float8), then by id,
// so ties come out the same on every backend and for every thread count.
inline uint64_t ordered_distance_bits(double d) {
  uint64_t u;
  static_assert(sizeof u == sizeof d, "double is 64 bits");
  __builtin_memcpy(&u, &d, sizeof u);
  if ((u & 0x7fffffffffffffffull) > 0x7ff0000000000000ull) return ~0ull;  // any NaN
  return (u & 0x8000000000000000ull) ? ~u : (u | 0x8000000000000000ull);
}

struct KnnHit {
  double distance;  // the ordering key: squared L2, negative inner product, or cosine distance
  int64_t id;
  bool operator<(const KnnHit& o) const {
    const uint64_t a = ordered_distance_bits(distance), b = ordered_distance_bits(o.distance);
    return a != b ? a < b : id < o.id;
  }
};

class ExactKnn {
 public:
  // Copies the queries (nq x dim floats). metric: kL2, kInnerProduct or kCosine; k >= 1.
  ExactKnn(const float* queries, size_t nq, size_t dim, Metric metric, size_t k, const ComputeContext& ctx);
  ~ExactKnn();
  ExactKnn(const ExactKnn&) = delete;
  ExactKnn& operator=(const ExactKnn&) = delete;

  // Scans n base vectors (dim values each, of `type`); ids[i] names row i, or when ids is null the row's
  // number counted over every add() so far.
  void add(const void* base, VectorType type, size_t n, const int64_t* ids);

  // Per query its k nearest, nearest first, into ids and distances (nq x k each). Distances are what
  // the SQL operators return, computed the same way (so they are equal): kL2 Euclidean distance,
  // kInnerProduct negative inner product, kCosine 1 - cosine similarity (NaN against a zero vector).
  // Missing results (fewer than k rows) are id -1 with distance +infinity.
  void result(int64_t* ids, double* distances) const;

  size_t rows_seen() const { return rows_seen_; }

  // Threads, interrupt and progress for later add() calls (a streaming caller's callbacks may change).
  void set_context(const ComputeContext& ctx);

 private:
  struct Shared;
  std::unique_ptr<Shared> shared_;
  size_t rows_seen_ = 0;
};

// One call: ExactKnn over one base array.
void exact_knn(const float* queries, size_t nq, const void* base, VectorType type, size_t n, size_t dim,
               Metric metric, size_t k, int64_t* ids, double* distances, const ComputeContext& ctx = ComputeContext());

}  // namespace piramid
