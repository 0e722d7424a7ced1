#include "piramid/sparse.h"

#include <cmath>

namespace piramid {
namespace {

// Calls both(x, y) for indices present in both, only_a(x) / only_b(y) for indices present in one.
template <class Both, class OnlyA, class OnlyB>
void merge_walk(const SparseView& a, const SparseView& b, Both both, OnlyA only_a, OnlyB only_b) {
  int32_t i = 0, j = 0;
  while (i < a.nnz && j < b.nnz) {
    if (a.indices[i] == b.indices[j]) {
      both(a.values[i++], b.values[j++]);
    } else if (a.indices[i] < b.indices[j]) {
      only_a(a.values[i++]);
    } else {
      only_b(b.values[j++]);
    }
  }
  for (; i < a.nnz; ++i) only_a(a.values[i]);
  for (; j < b.nnz; ++j) only_b(b.values[j]);
}

}  // namespace

float sparse_l2sq(const SparseView& a, const SparseView& b) {
  float sum = 0.0f;
  merge_walk(
      a, b, [&](float x, float y) { sum += (x - y) * (x - y); }, [&](float x) { sum += x * x; },
      [&](float y) { sum += y * y; });
  return sum;
}

float sparse_dot(const SparseView& a, const SparseView& b) {
  float sum = 0.0f;
  merge_walk(a, b, [&](float x, float y) { sum += x * y; }, [](float) {}, [](float) {});
  return sum;
}

float sparse_l1(const SparseView& a, const SparseView& b) {
  float sum = 0.0f;
  merge_walk(
      a, b, [&](float x, float y) { sum += std::fabs(x - y); }, [&](float x) { sum += std::fabs(x); },
      [&](float y) { sum += std::fabs(y); });
  return sum;
}

CosineParts sparse_cosine(const SparseView& a, const SparseView& b) {
  CosineParts p{sparse_dot(a, b), 0.0f, 0.0f};
  for (int32_t i = 0; i < a.nnz; ++i) p.norm_a += a.values[i] * a.values[i];
  for (int32_t j = 0; j < b.nnz; ++j) p.norm_b += b.values[j] * b.values[j];
  return p;
}

int sparse_compare_common(const SparseView& a, const SparseView& b, int32_t common_dim) {
  int32_t i = 0, j = 0;
  for (;;) {
    const int32_t ia = i < a.nnz ? a.indices[i] : INT32_MAX;
    const int32_t ib = j < b.nnz ? b.indices[j] : INT32_MAX;
    const int32_t index = ia < ib ? ia : ib;
    if (index >= common_dim) return 0;
    const float x = ia == index ? a.values[i++] : 0.0f;
    const float y = ib == index ? b.values[j++] : 0.0f;
    if (x < y) return -1;
    if (x > y) return 1;
  }
}

}  // namespace piramid
