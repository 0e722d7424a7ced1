// Eigenvalues and eigenvectors of a small symmetric matrix (Eigen's self-adjoint solver, double precision).
// Used to find the principal axes of a training sample (hnsw navigation codes rotate vectors onto them
// before quantizing). Cost grows as n^3: meant for n up to a few hundred.
#pragma once

#include <cstddef>
#include <vector>

namespace piramid {

struct SymmetricEigen {
  std::vector<double> values;   // n eigenvalues, largest first
  std::vector<double> vectors;  // n x n row-major: row i is the unit eigenvector of values[i]
};

// `a` is n x n row-major and symmetric (only its values are read; it need not be exactly symmetric).
SymmetricEigen symmetric_eigen(const std::vector<double>& a, size_t n);

}  // namespace piramid
