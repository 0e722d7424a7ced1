#include "piramid/compute/symmetric_eigen.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace piramid {

SymmetricEigen symmetric_eigen(const std::vector<double>& input, size_t n) {
  std::vector<double> a(input.begin(), input.begin() + static_cast<std::ptrdiff_t>(n * n));
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) a[i * n + j] = a[j * n + i] = 0.5 * (a[i * n + j] + a[j * n + i]);
  std::vector<double> v(n * n, 0.0);  // columns collect the eigenvectors
  for (size_t i = 0; i < n; ++i) v[i * n + i] = 1.0;

  double total = 0;
  for (double x : a) total += x * x;
  const double tiny = 1e-30 + total * 1e-26;
  for (int sweep = 0; sweep < 60; ++sweep) {
    double off = 0;
    for (size_t i = 0; i < n; ++i)
      for (size_t j = i + 1; j < n; ++j) off += a[i * n + j] * a[i * n + j];
    if (off <= tiny) break;
    for (size_t p = 0; p < n; ++p) {
      for (size_t q = p + 1; q < n; ++q) {
        const double apq = a[p * n + q];
        if (std::fabs(apq) * 1e18 <= std::fabs(a[p * n + p]) + std::fabs(a[q * n + q]) || apq == 0.0) {
          a[p * n + q] = a[q * n + p] = 0.0;
          continue;
        }
        // The rotation (c, s) that zeroes a[p][q]: t = tan(angle), the smaller root for stability.
        const double theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::fabs(theta) + std::sqrt(theta * theta + 1.0));
        const double c = 1.0 / std::sqrt(t * t + 1.0), s = t * c;
        for (size_t k = 0; k < n; ++k) {  // columns p and q
          const double akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (size_t k = 0; k < n; ++k) {  // rows p and q
          const double apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (size_t k = 0; k < n; ++k) {
          const double vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }

  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t(0));
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t x, size_t y) { return a[x * n + x] > a[y * n + y]; });
  SymmetricEigen out;
  out.values.resize(n);
  out.vectors.resize(n * n);
  for (size_t r = 0; r < n; ++r) {
    out.values[r] = a[order[r] * n + order[r]];
    for (size_t k = 0; k < n; ++k) out.vectors[r * n + k] = v[k * n + order[r]];
  }
  return out;
}

}  // namespace piramid
