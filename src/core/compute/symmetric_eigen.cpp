#include "piramid/compute/symmetric_eigen.h"

#include "piramid/error.h"

#include "eigen_setup.h"
// Compiled with the default flags, like gemm_generic.cpp, so it shares that file's Eigen namespace.
#define Eigen piramid_eigen_generic
#include <Eigen/Eigenvalues>
#undef Eigen

namespace piramid {

SymmetricEigen symmetric_eigen(const std::vector<double>& a, size_t n) {
  using Matrix =
      piramid_eigen_generic::Matrix<double, piramid_eigen_generic::Dynamic, piramid_eigen_generic::Dynamic>;
  const auto size = static_cast<ptrdiff_t>(n);
  Matrix m(size, size);
  for (ptrdiff_t i = 0; i < size; ++i)
    for (ptrdiff_t j = 0; j < size; ++j)
      m(i, j) = 0.5 * (a[static_cast<size_t>(i) * n + static_cast<size_t>(j)] +
                       a[static_cast<size_t>(j) * n + static_cast<size_t>(i)]);
  const piramid_eigen_generic::SelfAdjointEigenSolver<Matrix> solver(m);
  if (solver.info() != piramid_eigen_generic::Success)
    throw Error(ErrorKind::kInternal, "the eigen solver for the navigation codes' rotation did not converge",
                {}, "Please report this as a bug.");
  // Eigen orders eigenvalues ascending, one eigenvector per column; we want largest first, one per row.
  SymmetricEigen out;
  out.values.resize(n);
  out.vectors.resize(n * n);
  for (ptrdiff_t r = 0; r < size; ++r) {
    const ptrdiff_t from = size - 1 - r;
    out.values[static_cast<size_t>(r)] = solver.eigenvalues()(from);
    for (ptrdiff_t k = 0; k < size; ++k)
      out.vectors[static_cast<size_t>(r) * n + static_cast<size_t>(k)] = solver.eigenvectors()(k, from);
  }
  return out;
}

}  // namespace piramid
