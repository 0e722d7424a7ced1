// The body of one gemm_abt variant. Included by gemm_generic.cpp, gemm_avx2.cpp and gemm_avx512.cpp,
// each compiled with its own -m flags and defining PIRAMID_GEMM_FN and PIRAMID_EIGEN_NAMESPACE first.
//
// Eigen is all templates, so the three translation units would instantiate the very same symbols
// (Eigen::internal::gebp_kernel<...>) with different instructions and the linker would keep one of
// them: AVX-512 code could then run on a CPU without it. Renaming the namespace per variant keeps the
// three sets apart. eigen_setup.h makes eigen_assert throw instead of aborting the server.
#pragma once

#include "eigen_setup.h"

#define Eigen PIRAMID_EIGEN_NAMESPACE
#include <Eigen/Core>

#include "gemm.h"

namespace piramid::compute::detail {

void PIRAMID_GEMM_FN(const float* a, size_t rows, size_t lda, const float* b, size_t k, size_t dim, float* out) {
  using RowMajor = PIRAMID_EIGEN_NAMESPACE::Matrix<float, PIRAMID_EIGEN_NAMESPACE::Dynamic,
                                                   PIRAMID_EIGEN_NAMESPACE::Dynamic,
                                                   PIRAMID_EIGEN_NAMESPACE::RowMajor>;
  // Unaligned maps: the memory may come from palloc or a page (DESIGN.md section 3.7).
  using Stride = PIRAMID_EIGEN_NAMESPACE::OuterStride<>;
  PIRAMID_EIGEN_NAMESPACE::Map<const RowMajor, PIRAMID_EIGEN_NAMESPACE::Unaligned, Stride> am(
      a, static_cast<ptrdiff_t>(rows), static_cast<ptrdiff_t>(dim), Stride(static_cast<ptrdiff_t>(lda)));
  PIRAMID_EIGEN_NAMESPACE::Map<const RowMajor, PIRAMID_EIGEN_NAMESPACE::Unaligned> bm(
      b, static_cast<ptrdiff_t>(k), static_cast<ptrdiff_t>(dim));
  PIRAMID_EIGEN_NAMESPACE::Map<RowMajor, PIRAMID_EIGEN_NAMESPACE::Unaligned> om(
      out, static_cast<ptrdiff_t>(rows), static_cast<ptrdiff_t>(k));
  om.noalias() = am * bm.transpose();
}

}  // namespace piramid::compute::detail
