// Exact k-NN on the device: cuBLAS scores a chunk of base rows against every query, a block per query
// selects the best k + 32 by those scores (radix select), recomputes their distances directly (so the
// values are not the GEMM's |q|^2 + |x|^2 - 2 q.x, which cancels badly for close vectors) and merges them
// into the running top-k. The 32 extra candidates absorb the GEMM's rounding near the k-th distance.
#pragma once

#include "common.cuh"

struct pmd_knn;

namespace piramid::gpu {

constexpr int kMaxK = 512;  // larger k is PMD_UNSUPPORTED here; the CPU backend has no limit

pmd_knn* knn_create(const float* queries, int64_t nq, int dim, int metric, int k);
void knn_add_rows(pmd_knn* knn, const void* base, int type, int64_t n, const int64_t* ids, const Hooks& hooks);
void knn_write_result(pmd_knn* knn, int64_t* ids, double* distances);
void knn_destroy(pmd_knn* knn) noexcept;

}  // namespace piramid::gpu
