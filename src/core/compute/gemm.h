// Dense products for the compute layer: out = A * B^T for row-major A (rows x dim) and B (k x dim), the
// shape every "distances from many rows to many centroids" step has. Eigen does the work; it is compiled
// three times (generic x86-64, AVX2+FMA, AVX-512) and the best variant this CPU runs is chosen once at run
// time, like the distance kernels (DESIGN.md section 3.9).
#pragma once

#include <cstddef>

namespace piramid::compute {

// out[r * k + c] = dot(a row r, b row c), where row r of a starts at a + r * lda (lda >= dim; a PQ
// subspace is a column slice of the full vectors). Pointers need no alignment; out must not alias a or b.
void gemm_abt(const float* a, size_t rows, size_t lda, const float* b, size_t k, size_t dim, float* out);

// "generic", "avx2" or "avx512": the variant gemm_abt uses.
const char* gemm_variant();

namespace detail {
using GemmFn = void (*)(const float*, size_t, size_t, const float*, size_t, size_t, float*);
void gemm_abt_generic(const float* a, size_t rows, size_t lda, const float* b, size_t k, size_t dim, float* out);
void gemm_abt_avx2(const float* a, size_t rows, size_t lda, const float* b, size_t k, size_t dim, float* out);
void gemm_abt_avx512(const float* a, size_t rows, size_t lda, const float* b, size_t k, size_t dim, float* out);
}  // namespace detail

}  // namespace piramid::compute
